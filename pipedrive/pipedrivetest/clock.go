package pipedrivetest

import (
	"context"
	"sync"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Clock is a fake clock that a Server and a pipedrive.Client can share, so that tests of
// rate limits and retries take no time: pass its Now to WithClock and the Clock itself
// to pipedrive.WithClock. Its time moves only when Sleep or Advance moves it. A Clock is
// safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

var _ pipedrive.Clock = (*Clock)(nil)

// NewClock returns a Clock that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep returns at once, as if d had passed: it records d, which Sleeps lists, and moves
// the clock on by d (not at all for d <= 0). If ctx is already done it returns ctx.Err()
// and neither records nor moves anything, as a real wait would end there.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(max(d, 0))
	return nil
}

// Advance moves the clock on by d, as time passing between calls would. It panics if d is
// negative: a test that needs time to run backwards can start a new Clock.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic("pipedrivetest: Clock.Advance: negative duration " + d.String())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps returns the durations Sleep was asked for, oldest first: the waits the client
// would have made.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
