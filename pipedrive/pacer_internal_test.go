package pipedrive

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepClock is a Clock whose Sleep moves time on at once and records the wait (package
// pipedrivetest's Clock cannot be imported here).
type stepClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// newTestPacer returns a pacer on a stepClock, with MaxWait 30 s.
func newTestPacer() (*pacer, *stepClock) {
	clk := &stepClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	return newPacer(clk, 30*time.Second), clk
}

// window is an answer's rate-limit headers.
func window(limit, remaining int, reset time.Duration) RateLimit {
	rl := unknownRateLimit()
	rl.Limit, rl.Remaining, rl.Reset, rl.Known = limit, remaining, reset, true
	return rl
}

// The pacer counts requests in flight against what the window has left, waits for the
// window's end when nothing is, starts the next window with its limit less what is still
// in flight, and takes no late answer from an earlier window for the current one.
func TestPacerWindows(t *testing.T) {
	t.Parallel()
	p, clk := newTestPacer()
	ctx := t.Context()
	admit := func() ticket {
		t.Helper()
		tk, err := p.admit(ctx, opCreate)
		require.NoError(t, err)
		return tk
	}
	t0 := clk.Now()

	probe := admit()
	require.NotZero(t, probe.probe)
	p.observe(probe, 200, nil, window(3, 2, time.Second), clk.Now())
	a1, a2 := admit(), admit()
	p.observe(a1, 200, nil, window(3, 1, time.Second), clk.Now())
	assert.Empty(t, clk.sleeps, "two admitted against the two left")

	a3 := admit() // nothing left while a2 is in flight: wait for the window's end
	assert.Equal(t, []time.Duration{time.Second}, clk.sleeps)
	assert.Equal(t, uint64(a1.epoch+1), a3.epoch)

	// a2's answer comes from the old window: it says nothing is left, but not about this one.
	p.observe(a2, 200, nil, window(3, 0, time.Second), clk.Now())
	a4, a5 := admit(), admit() // the new window's 3, less a3 in flight
	assert.Len(t, clk.sleeps, 1)
	assert.Equal(t, a3.epoch, a5.epoch)

	// Nothing is left, and a3's answer says when the window ends (waiting for an answer
	// that has not come yet: TestPacerWaitForAnswersInFlightStopsAtMaxWait).
	p.observe(a3, 200, nil, window(3, 2, time.Second), clk.Now())
	a6 := admit()
	assert.Equal(t, []time.Duration{time.Second, time.Second}, clk.sleeps)
	assert.Equal(t, a4.epoch+1, a6.epoch)
	assert.Equal(t, t0.Add(2*time.Second), clk.Now())
}

// A 429 empties the window until its wait has passed, from whichever window it came.
func TestPacer429EmptiesTheWindow(t *testing.T) {
	t.Parallel()
	p, clk := newTestPacer()
	tk, err := p.admit(t.Context(), opCreate)
	require.NoError(t, err)
	p.observe(tk, http.StatusTooManyRequests, http.Header{"Retry-After": {"3"}}, window(20, 0, time.Second), clk.Now())
	_, err = p.admit(t.Context(), opCreate)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{3 * time.Second}, clk.sleeps, "Retry-After, not x-ratelimit-reset")
}
