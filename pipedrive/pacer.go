package pipedrive

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// pacer admits one client's requests against Pipedrive's rate-limit window as the
// answers report it, so that goroutines sharing a client neither overrun the window nor
// all wake at once when it resets (Pipedrive answers clients that keep sending after
// 429s with a 403 block from its CDN).
//
// The window has what the latest answer in it reported left (x-ratelimit-remaining), and
// the requests admitted but not yet answered count against that too, as the server may
// not have counted them yet. When nothing is left, callers sleep until the window ends:
// the earliest end the answers in it give (x-ratelimit-reset is rounded up to whole
// seconds, so the first answer in a window is the most exact). A new window then admits
// its whole limit, less what is still in flight, and the rest sleep until it ends in
// turn. Windows are numbered, so that a late answer from an earlier window is not taken
// for the current one.
//
// Before the first answer, one request goes alone (the probe), so that many callers do
// not meet a limit nobody knows yet with a burst of 429s; if its answer takes longer
// than probePatience, the others go ahead unpaced. Answers without the headers
// leave the calls unpaced. A 429 saying the daily budget is spent makes every call fail
// at once until the server's wait has passed; then one request probes again.
//
// The Clock has only Now and Sleep, so a waiter sleeps through it with a context that
// is cancelled when an answer arrives, and looks again.
type pacer struct {
	clock   Clock
	maxWait time.Duration

	mu       sync.Mutex
	changed  context.Context // done when waiters should look again; nil while none waits
	notify   context.CancelFunc
	mode     pacerMode
	probing  bool      // modeProbe: the probe is out
	probeAt  time.Time // and when it went, by the real clock
	limit    int       // requests per window, as last reported
	left     int       // what the current window has left, as reported
	end      time.Time // when the current window ends; zero until an answer in it says
	epoch    uint64    // numbers the windows
	inflight int       // admitted and not yet answered
	last     RateLimit // the latest answer's headers, for a refusal

	dailyUntil time.Time // a daily 429 makes calls fail at once until then
	daily      RateLimit // and this is what it reported
}

type pacerMode int

const (
	modeProbe  pacerMode = iota // nothing known yet: one request at a time
	modeOpen                    // the answers carry no window headers: nothing to pace by
	modeWindow                  // pacing by the window the answers report
)

// fallbackWindow is assumed when an answer says what is left but not when the window
// resets: Pipedrive's window is 2 seconds.
const fallbackWindow = 2 * time.Second

// probePatience bounds how long callers wait for the probe's answer: one window, past
// which waiting costs more than the 429s it would save. It is measured on the real clock,
// as the answer itself is: it is a wait for network I/O, not a rate-limit wait.
const probePatience = fallbackWindow

// ticket is an admitted request, handed back to observe or release.
type ticket struct {
	epoch uint64
	probe bool
}

// newPacer returns a pacer that never sleeps a caller longer than maxWait for the window.
// (A wait for an answer in flight, the probe's or the first of a new window, is bounded
// by that request, not by maxWait.)
func newPacer(clock Clock, maxWait time.Duration) *pacer {
	return &pacer{clock: clock, maxWait: maxWait}
}

// admit waits until a request for op may be sent and counts it in flight; every ticket it
// returns must go to observe or release. When the wait would pass MaxWait, or the daily
// budget is spent, it returns a *RateLimitError at once instead; when ctx ends first, its
// error. A nil pacer (pacing off) admits at once.
func (p *pacer) admit(ctx context.Context, op operation) (ticket, error) {
	if p == nil {
		return ticket{}, nil
	}
	deadline := p.clock.Now().Add(p.maxWait)
	for {
		if err := ctx.Err(); err != nil {
			return ticket{}, fmt.Errorf("not sent: %w", err)
		}
		p.mu.Lock()
		now := p.clock.Now()
		v := p.decideLocked(now, deadline, op)
		if v.admitted || v.refusal != nil {
			p.mu.Unlock()
			return v.ticket, v.refusal
		}
		if p.changed == nil { // made only when someone waits, so a call that does not costs nothing
			p.changed, p.notify = context.WithCancel(context.Background())
		}
		changed := p.changed
		p.mu.Unlock()
		if err := p.wait(ctx, changed, v, now); err != nil {
			return ticket{}, fmt.Errorf("not sent: waiting for the rate-limit window: %w", err)
		}
	}
}

// verdict is admit's decision for one look: admitted, refused, or look again at until
// (zero: when the state changes, or after patience on the real clock if that is set).
type verdict struct {
	ticket   ticket
	admitted bool
	refusal  error
	until    time.Time
	patience time.Duration
}

// decideLocked decides for a caller at now. p.mu must be held.
func (p *pacer) decideLocked(now, deadline time.Time, op operation) verdict {
	if now.Before(p.dailyUntil) {
		return verdict{refusal: refusal(op, p.daily, p.dailyUntil.Sub(now), true)}
	}
	if !p.dailyUntil.IsZero() { // the daily wait is over: find out whether it was enough
		p.dailyUntil, p.mode, p.probing = time.Time{}, modeProbe, false
	}
	switch p.mode {
	case modeOpen:
		return p.takeLocked(false)
	case modeProbe:
		if !p.probing {
			p.probing, p.probeAt = true, time.Now()
			return p.takeLocked(true)
		}
		if left := probePatience - time.Since(p.probeAt); left > 0 {
			return verdict{patience: left} // the probe's answer will tell
		}
		return p.takeLocked(false) // the probe is slow: go ahead unpaced
	}
	if !p.end.IsZero() && !now.Before(p.end) { // the window has reset
		p.epoch++
		p.left, p.end = max(p.limit, 1), time.Time{}
	}
	switch {
	case p.left-p.inflight > 0:
		return p.takeLocked(false)
	case p.end.IsZero():
		// Only requests in flight can have used this window up; their answers will
		// say when it ends.
		return verdict{}
	case p.end.After(deadline):
		return verdict{refusal: refusal(op, p.last, p.end.Sub(now), false)}
	}
	return verdict{until: p.end}
}

// takeLocked admits a request.
func (p *pacer) takeLocked(probe bool) verdict {
	p.inflight++
	return verdict{admitted: true, ticket: ticket{epoch: p.epoch, probe: probe}}
}

// wait sleeps as v says, through the Clock until v.until, and returns early when the
// pacer's state changes. It fails only when ctx ends.
func (p *pacer) wait(ctx context.Context, changed context.Context, v verdict, now time.Time) error {
	if v.until.IsZero() {
		var patience <-chan time.Time
		if v.patience > 0 {
			t := time.NewTimer(v.patience)
			defer t.Stop()
			patience = t.C
		}
		select {
		case <-changed.Done():
		case <-patience:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	sleepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(changed, cancel)()
	if err := p.clock.Sleep(sleepCtx, v.until.Sub(now)); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// release gives back a ticket whose request got no answer.
func (p *pacer) release(tk ticket) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.doneLocked(tk)
}

// observe learns from the answer to an admitted request, received at now.
func (p *pacer) observe(tk ticket, status int, h http.Header, rl RateLimit, now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.doneLocked(tk)
	limited := status == http.StatusTooManyRequests
	if limited && rl.dailySpent() {
		// No retry helps before the server's wait (Retry-After) has passed; without one,
		// calls fail for MaxWait before one is sent to find out.
		wait, ok := retryAfterHeader(h, now)
		if !ok || wait <= 0 {
			wait = p.maxWait
		}
		p.daily, p.dailyUntil = rl, now.Add(wait)
		return
	}
	reset := rl.Reset
	if limited {
		reset, _ = retryAfter(h, now)
	}
	if rl.Remaining < 0 && !(limited && reset > 0) {
		if p.mode == modeProbe && !limited {
			p.mode = modeOpen
		}
		return // nothing here to pace by
	}
	p.windowLocked(tk, limited, rl, reset, now)
}

// windowLocked updates the window from an answer with its headers: a 429 says nothing is
// left until its wait has passed; any other answer in the current window lowers what is
// left and may bring its end forward.
func (p *pacer) windowLocked(tk ticket, limited bool, rl RateLimit, reset time.Duration, now time.Time) {
	if p.mode != modeWindow { // the first answer with headers describes the current window
		p.mode, p.epoch = modeWindow, p.epoch+1
		p.left, p.end, tk.epoch = max(rl.Remaining, 0), time.Time{}, p.epoch
	}
	p.last = rl
	if rl.Limit > 0 {
		p.limit = rl.Limit
	} else {
		p.limit = max(p.limit, rl.Remaining+1)
	}
	if reset < 0 {
		reset = fallbackWindow
	}
	end := now.Add(reset)
	switch {
	case limited:
		p.left, p.end = 0, end
	case tk.epoch == p.epoch:
		p.left = min(p.left, rl.Remaining)
		if p.end.IsZero() || end.Before(p.end) {
			p.end = end
		}
	}
}

// doneLocked counts a request out of flight and wakes the waiters to look again.
func (p *pacer) doneLocked(tk ticket) {
	p.inflight--
	if tk.probe {
		p.probing = false
	}
	if p.notify != nil {
		p.notify()
		p.changed, p.notify = nil, nil
	}
}

// refusal is the *RateLimitError for a call not sent because the server would refuse it
// for another wait.
func refusal(op operation, rl RateLimit, wait time.Duration, daily bool) error {
	msg := "not sent: the rate-limit window is spent for longer than the retry policy's MaxWait"
	if daily {
		msg = "not sent: the daily rate limit is spent"
	}
	return &RateLimitError{
		APIError:   &APIError{Operation: string(op), StatusCode: http.StatusTooManyRequests, Message: msg, RateLimit: rl},
		RetryAfter: wait,
		Daily:      daily,
	}
}
