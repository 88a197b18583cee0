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
// for the current one. When requests in flight have used a new window up, its end is not
// known until one of them is answered: callers wait for that answer. Such a wait is for
// an event, not a time the server asked for, so it does not go through the Clock (a
// test's fake clock would otherwise skip it) and MaxWait does not bound it: the request
// in flight does, through its context and the HTTP client's timeout.
//
// Before the first answer nobody knows the limit. A caller alone never waits: it is sent
// at once (the probe). Callers that come while the probe is out wait for its answer, so
// that 64 goroutines starting together do not meet an unknown limit with a burst of
// 429s; if the answer takes longer than probePatience (or MaxWait, if shorter), by the
// Clock, one waiter goes as the next probe and the others keep waiting. No caller is
// refused for want of a first answer. Answers without the window headers leave the calls
// unpaced.
//
// No single answer stops the client sending for longer than MaxWait. An answer may ask
// for longer: a 429 whose Retry-After is past MaxWait, or a window spent for longer than
// MaxWait (x-ratelimit-reset is believed only as far as Pipedrive's 2-second window
// allows, so that takes a MaxWait under 2 s). Calls then fail at once, unsent, until
// MaxWait has passed since that answer; then one request goes out to find out (the
// check), the others keep failing at once until it is answered, and its answer replaces
// the stop: a success reopens the window, another long wait starts a new stop.
//
// A 429 saying the daily budget is spent holds every call, which fails at once unsent,
// for the longer of its Retry-After and MaxWait, but not past the start of the next UTC
// day, when Pipedrive resets the budget: a short Retry-After on such an answer does not
// mean a retry can succeed, and sending on would escalate to a 403 block. Even so, once
// MaxWait has passed since the answer, one request checks the budget while the others
// keep failing at once until it is answered.
//
// Every other wait goes through the Clock. It has only Now and Sleep, so a waiter sleeps
// with a context that is cancelled when an answer arrives, and looks again.
type pacer struct {
	clock   Clock
	maxWait time.Duration

	mu       sync.Mutex
	changed  context.Context // done when waiters should look again; nil while none waits
	notify   context.CancelFunc
	mode     pacerMode
	probes   uint64    // modeProbe: numbers the probes sent
	probing  bool      // and the latest is out
	probeAt  time.Time // since then, by the Clock
	limit    int       // requests per window, as last reported
	left     int       // what the current window has left, as reported
	end      time.Time // when the current window ends; zero until an answer in it says
	epoch    uint64    // numbers the windows
	inflight int       // admitted and not yet answered
	endFrom  time.Time // when the answer that set end arrived
	last     RateLimit // the latest answer's headers, for a refusal
	pause    time.Time // outside modeWindow, a 429 without window headers: nothing goes before then
	pauseAt  time.Time // when that 429 arrived

	dailyHeld  bool      // a daily 429 came, and no check since has been answered otherwise
	dailyAt    time.Time // when it arrived: one request checks once MaxWait has passed since
	dailyUntil time.Time // the hold's end, which a refusal reports
	daily      RateLimit // what the daily 429 reported

	checking bool // a request is out to check a stop longer than MaxWait (the daily one too)
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

// probePatience bounds how long callers wait for a probe's answer before the next one
// goes: one window, past which waiting costs more than the 429s it would save.
const probePatience = fallbackWindow

// ticket is an admitted request, handed back to observe or release.
type ticket struct {
	epoch uint64
	probe uint64 // the probe's number; 0 for any other request
	check bool   // the request checking a stop longer than MaxWait, or a daily hold
}

// newPacer returns a pacer that never makes a caller wait longer than maxWait.
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
	var deadline time.Time // MaxWait from the first look
	for {
		if err := ctx.Err(); err != nil {
			return ticket{}, fmt.Errorf("not sent: %w", err)
		}
		p.mu.Lock()
		now := p.clock.Now()
		if deadline.IsZero() {
			deadline = now.Add(p.maxWait)
		}
		p.nextWindowLocked(now)
		v := p.tryAdmitLocked(now, deadline, op)
		if v.admitted || v.refusal != nil {
			p.mu.Unlock()
			return v.ticket, v.refusal
		}
		if p.changed == nil { // made only when someone waits, so a call that does not costs nothing
			p.changed, p.notify = context.WithCancel(context.Background())
		}
		changed := p.changed
		p.mu.Unlock()
		if err := p.wait(ctx, changed, v.until, now); err != nil {
			return ticket{}, fmt.Errorf("not sent: waiting for the rate-limit window: %w", err)
		}
	}
}

// verdict is tryAdmitLocked's answer for one look: admitted, refused, or look again at
// until (or sooner, when an answer arrives); a zero until means when an answer arrives.
type verdict struct {
	ticket   ticket
	admitted bool
	refusal  error
	until    time.Time
}

// nextWindowLocked starts the next window when the current one has ended by now: it has
// its whole limit left, and its end is unknown until an answer in it says. p.mu must be
// held.
func (p *pacer) nextWindowLocked(now time.Time) {
	if p.mode == modeWindow && !p.end.IsZero() && !now.Before(p.end) {
		p.epoch++
		p.left, p.end = max(p.limit, 1), time.Time{}
	}
}

// tryAdmitLocked admits a caller at now (counting it in flight, and making it the probe
// or the daily check when that is its role), refuses it, or says until when it waits.
// deadline is when its MaxWait runs out. p.mu must be held.
func (p *pacer) tryAdmitLocked(now, deadline time.Time, op operation) verdict {
	if p.dailyHeld {
		return p.dailyLocked(now, op)
	}
	if p.mode != modeWindow && p.pause.After(now) {
		if v, ok := p.checkLocked(now, p.pauseAt); ok {
			return v
		}
		if p.pause.After(deadline) {
			return verdict{refusal: refusal(op, p.last, p.pause.Sub(now), "not sent: the server asked to wait longer than the retry policy's MaxWait", false)}
		}
		return verdict{until: p.pause}
	}
	switch p.mode {
	case modeOpen:
		return p.takeLocked(ticket{})
	case modeProbe:
		return p.probeLocked(now)
	}
	if p.left-p.inflight > 0 {
		return p.takeLocked(ticket{epoch: p.epoch})
	}
	if p.end.IsZero() {
		// Only requests in flight can have used this window up; their answers will say
		// when it ends.
		return verdict{}
	}
	if v, ok := p.checkLocked(now, p.endFrom); ok {
		return v
	}
	if p.end.After(deadline) {
		return verdict{refusal: refusal(op, p.last, p.end.Sub(now), "not sent: the rate-limit window is spent for longer than the retry policy's MaxWait", false)}
	}
	return verdict{until: p.end}
}

// checkLocked admits the caller as the check of a stop that an answer received at from
// imposed, once MaxWait has passed since and no other check is out; ok is false when it
// may not go. A stop no longer than MaxWait has ended by then, so only a longer one is
// ever checked. p.mu must be held.
func (p *pacer) checkLocked(now, from time.Time) (v verdict, ok bool) {
	if p.checking || now.Before(from.Add(p.maxWait)) {
		return verdict{}, false
	}
	p.checking = true
	return p.takeLocked(ticket{epoch: p.epoch, check: true}), true
}

// probeLocked admits the first caller while nothing is known about the limit, and the
// next one when the probe's answer is taking longer than probePatience (or MaxWait, if
// shorter); the others wait for the answer. p.mu must be held.
func (p *pacer) probeLocked(now time.Time) verdict {
	patience := p.probeAt.Add(min(probePatience, p.maxWait))
	if !p.probing || !now.Before(patience) {
		p.probes++
		p.probing, p.probeAt = true, now
		return p.takeLocked(ticket{epoch: p.epoch, probe: p.probes})
	}
	return verdict{until: patience}
}

// dailyLocked refuses calls while a daily 429's hold lasts, until MaxWait has passed
// since the 429 (or the hold has ended); then it admits one to check the budget and
// refuses the others until that one is answered. p.mu must be held.
func (p *pacer) dailyLocked(now time.Time, op operation) verdict {
	if v, ok := p.checkLocked(now, p.dailyAt); ok {
		return v
	}
	if p.checking {
		return verdict{refusal: refusal(op, p.daily, 0, "not sent: the daily rate limit was spent, and a request is out to check whether it has reset", true)}
	}
	return verdict{refusal: refusal(op, p.daily, max(p.dailyUntil.Sub(now), 0), "not sent: the daily rate limit is spent", true)}
}

// dailyHold is how long a daily 429 received at now holds calls: the longer of its
// Retry-After and MaxWait, but no longer than until the next UTC day, when the budget
// resets (unless MaxWait is longer still). With pacing off (a nil pacer) nothing is held,
// and it is Retry-After, up to the next UTC day.
func (p *pacer) dailyHold(retryAfter time.Duration, now time.Time) time.Duration {
	wait := min(retryAfter, untilNextUTCDay(now))
	if p == nil {
		return wait
	}
	return max(wait, p.maxWait)
}

// untilNextUTCDay is the time from now to the next midnight UTC, when Pipedrive's daily
// budget resets.
func untilNextUTCDay(now time.Time) time.Duration {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC).Sub(now)
}

// takeLocked admits a request.
func (p *pacer) takeLocked(tk ticket) verdict {
	p.inflight++
	return verdict{admitted: true, ticket: tk}
}

// wait sleeps through the Clock from now until until, and returns early when the pacer's
// state changes; a zero until waits for that change alone. It fails only when ctx ends.
func (p *pacer) wait(ctx context.Context, changed context.Context, until, now time.Time) error {
	if until.IsZero() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed.Done():
			return nil
		}
	}
	sleepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(changed, cancel)()
	if err := p.clock.Sleep(sleepCtx, until.Sub(now)); err != nil && ctx.Err() != nil {
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
	if tk.check {
		// The check's answer replaces the stop it was sent through: it describes a new
		// window, or imposes a new stop.
		p.liftLocked()
		tk.epoch = p.epoch
	}
	limited := status == http.StatusTooManyRequests
	if limited && rl.dailySpent() {
		wait, _ := retryAfterHeader(h, now)
		p.daily, p.dailyHeld, p.dailyAt, p.dailyUntil = rl, true, now, now.Add(p.dailyHold(wait, now))
		return
	}
	reset := min(rl.Reset, fallbackWindow) // the burst window is never longer
	if limited {
		var ok bool
		if reset, ok = retryAfter(h, now); !ok {
			reset = -1
		}
	}
	// Without x-ratelimit-remaining there is no window to pace by: a 429 empties a
	// window whose limit is known until its wait has passed, and otherwise holds every
	// call for the wait it asks (the retry of the refused request included).
	if rl.Remaining < 0 && !(limited && (rl.Limit >= 0 || p.mode == modeWindow)) {
		switch {
		case limited && reset > 0 && now.Add(reset).After(p.pause):
			p.pause, p.pauseAt = now.Add(reset), now
		case p.mode == modeProbe && !limited:
			p.mode = modeOpen
		}
		return
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
		p.left, p.end, p.endFrom = 0, end, now
	case tk.epoch == p.epoch:
		p.left = min(p.left, rl.Remaining)
		if p.end.IsZero() || end.Before(p.end) {
			p.end, p.endFrom = end, now
		}
	}
}

// liftLocked ends every stop, for the check's answer to set the state afresh: the daily
// hold and a pause are over, and in modeWindow a new window starts with its whole limit,
// its end unknown until an answer in it says. p.mu must be held.
func (p *pacer) liftLocked() {
	p.dailyHeld = false
	p.pause = time.Time{}
	if p.mode == modeWindow {
		p.epoch++
		p.left, p.end = max(p.limit, 1), time.Time{}
	}
}

// doneLocked counts a request out of flight and wakes the waiters to look again.
func (p *pacer) doneLocked(tk ticket) {
	p.inflight--
	if tk.probe != 0 && tk.probe == p.probes {
		p.probing = false
	}
	if tk.check {
		p.checking = false
	}
	if p.notify != nil {
		p.notify()
		p.changed, p.notify = nil, nil
	}
}

// refusal is the *RateLimitError for a call not sent, with msg saying why and wait the
// time until the client sends again (0 when that is not known).
func refusal(op operation, rl RateLimit, wait time.Duration, msg string, daily bool) error {
	return &RateLimitError{
		APIError:   &APIError{Operation: string(op), StatusCode: http.StatusTooManyRequests, Message: msg, RateLimit: rl},
		RetryAfter: wait,
		Daily:      daily,
	}
}
