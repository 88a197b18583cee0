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

// manualClock is a Clock whose Sleep blocks until the test moves the time past its end or
// the context ends, so that a test sees who waits, and for how long, without real sleeps.
type manualClock struct {
	mu       sync.Mutex
	cond     *sync.Cond
	now      time.Time
	asked    []time.Duration // every Sleep's duration, in the order asked
	timedOut bool
}

func newManualClock() *manualClock {
	c := &manualClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	defer context.AfterFunc(ctx, c.broadcast)()
	c.mu.Lock()
	defer c.mu.Unlock()
	until := c.now.Add(d)
	c.asked = append(c.asked, d)
	c.cond.Broadcast()
	for c.now.Before(until) && ctx.Err() == nil {
		c.cond.Wait()
	}
	if c.now.Before(until) {
		return ctx.Err()
	}
	return nil
}

func (c *manualClock) broadcast() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cond.Broadcast()
}

// advance moves the time on by d, waking the sleepers whose wait is over.
func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.cond.Broadcast()
}

// waitAsked blocks until n sleeps have been asked for in all, and returns their
// durations. It fails the test if that takes 5 s of real time: a waiter that does not
// sleep through the Clock never gets there.
func (c *manualClock) waitAsked(t *testing.T, n int) []time.Duration {
	t.Helper()
	guard := time.AfterFunc(5*time.Second, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.timedOut = true
		c.cond.Broadcast()
	})
	defer guard.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.asked) < n && !c.timedOut {
		c.cond.Wait()
	}
	require.Len(t, c.asked, n, "waits asked of the Clock")
	return append([]time.Duration(nil), c.asked...)
}

// admission is what admit returned to a caller running in its own goroutine.
type admission struct {
	tk  ticket
	err error
}

// goAdmit calls admit in a goroutine and sends the outcome to out.
func goAdmit(p *pacer, out chan<- admission) {
	go func() {
		tk, err := p.admit(context.Background(), opCreate)
		out <- admission{tk, err}
	}()
}

// receive takes the next admission, failing the test after 5 s of real time.
func receive(t *testing.T, out <-chan admission) admission {
	t.Helper()
	select {
	case a := <-out:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no caller returned from admit")
		return admission{}
	}
}

// When requests still in flight have used a new window up, nobody knows yet when it
// ends: a caller waits for their answers, without asking the Clock for a wait (a fake
// clock would skip it), and is not refused for it. The answer tells it the end.
func TestPacerWaitsForAnswersInFlight(t *testing.T) {
	t.Parallel()
	clk := newManualClock()
	p := newPacer(clk, 200*time.Millisecond)
	out := make(chan admission, 1)
	probe, err := p.admit(context.Background(), opCreate)
	require.NoError(t, err)
	p.observe(probe, 200, nil, window(1, 0, 50*time.Millisecond), clk.Now())

	goAdmit(p, out)
	clk.waitAsked(t, 1)
	clk.advance(50 * time.Millisecond) // the window resets: its one request goes
	inFlight := receive(t, out)
	require.NoError(t, inFlight.err)

	goAdmit(p, out)
	clk.advance(time.Second) // past MaxWait by the Clock: no matter, it waits for the answer
	select {
	case a := <-out:
		t.Fatalf("a caller went, or was refused, before the answer in flight: %+v", a)
	case <-time.After(50 * time.Millisecond):
	}
	p.observe(inFlight.tk, 200, nil, window(1, 0, 30*time.Millisecond), clk.Now())
	assert.Equal(t, []time.Duration{50 * time.Millisecond, 30 * time.Millisecond}, clk.waitAsked(t, 2), "only the window's end, once the answer tells it")
	clk.advance(30 * time.Millisecond)
	require.NoError(t, receive(t, out).err)
}

// Before the first answer a caller alone is sent at once (the probe). Callers that come
// while it is out wait for its answer through the Clock, at most probePatience; when
// that passes, one of them goes as the next probe and the others wait on, rather than
// all going at once. An answer lets them all look again.
func TestPacerProbeHandsOverOneAtATime(t *testing.T) {
	t.Parallel()
	clk := newManualClock()
	p := newPacer(clk, 30*time.Second)
	out := make(chan admission, 3)
	first, err := p.admit(context.Background(), opCreate)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), first.probe)

	for range 3 {
		goAdmit(p, out)
	}
	assert.Equal(t, []time.Duration{probePatience, probePatience, probePatience}, clk.waitAsked(t, 3))
	clk.advance(probePatience)
	assert.Equal(t, []time.Duration{probePatience, probePatience}, clk.waitAsked(t, 5)[3:], "two wait on")
	second := receive(t, out)
	require.NoError(t, second.err)
	assert.Equal(t, uint64(2), second.tk.probe)
	select {
	case a := <-out:
		t.Fatalf("a third caller went before any answer: %+v", a)
	default:
	}

	p.observe(first, 200, nil, window(10, 8, time.Second), clk.Now()) // the slow first probe's answer
	require.NoError(t, receive(t, out).err)
	require.NoError(t, receive(t, out).err)
	assert.Len(t, clk.waitAsked(t, 5), 5, "admitted without sleeping again")
}

// A MaxWait shorter than probePatience shortens the wait for the probe's answer; a
// caller whose wait runs out goes as the next probe and is never refused for want of a
// first answer. (With a refusal at MaxWait, callers sharing a test's stepping fake clock
// each pushed the others past their MaxWait and failed unsent.)
func TestPacerProbeWaitersAreNeverRefused(t *testing.T) {
	t.Parallel()
	clk := newManualClock()
	p := newPacer(clk, 500*time.Millisecond)
	out := make(chan admission, 2)
	_, err := p.admit(context.Background(), opCreate)
	require.NoError(t, err)
	goAdmit(p, out)
	goAdmit(p, out)
	assert.Equal(t, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, clk.waitAsked(t, 2))
	clk.advance(500 * time.Millisecond)
	second := receive(t, out)
	require.NoError(t, second.err)
	assert.Equal(t, uint64(2), second.tk.probe)
	assert.Equal(t, 500*time.Millisecond, clk.waitAsked(t, 3)[2], "the other waits on for the new probe")
	clk.advance(500 * time.Millisecond) // its own MaxWait has now passed twice over
	third := receive(t, out)
	require.NoError(t, third.err)
	assert.Equal(t, uint64(3), third.tk.probe)
}

// A 429 that says what is left but not when the window resets (no Retry-After, no
// x-ratelimit-reset) empties the window for the fallback 2 seconds, not for no time.
func TestPacer429WithoutAWaitUsesTheFallbackWindow(t *testing.T) {
	t.Parallel()
	clk := &stepClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	p := newPacer(clk, 30*time.Second)
	tk, err := p.admit(context.Background(), opCreate)
	require.NoError(t, err)
	p.observe(tk, http.StatusTooManyRequests, http.Header{}, window(10, 0, -1), clk.Now())
	_, err = p.admit(context.Background(), opCreate)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{fallbackWindow}, clk.sleeps)
}

// A bare 429 (Retry-After alone) says nothing about the window: it holds calls for its
// wait, but does not switch the pacer to window mode with a limit of 0, which after the
// reset would let one request at a time through for good, as answers without headers
// never say when a window ends.
func TestPacerBare429DoesNotMakeAWindow(t *testing.T) {
	t.Parallel()
	clk := &stepClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	p := newPacer(clk, 30*time.Second)
	ctx := context.Background()
	tk, err := p.admit(ctx, opCreate)
	require.NoError(t, err)
	p.observe(tk, http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}, unknownRateLimit(), clk.Now())
	tk, err = p.admit(ctx, opCreate)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Second}, clk.sleeps, "the 429's wait")
	p.observe(tk, 200, nil, unknownRateLimit(), clk.Now())
	for range 3 { // answers without headers: nothing to pace by
		_, err := p.admit(ctx, opCreate)
		require.NoError(t, err)
	}
	assert.Len(t, clk.sleeps, 1)
}
