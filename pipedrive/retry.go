package pipedrive

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// RetryPolicy says when a request is sent again. Creating and linking (the POSTs) are not
// idempotent, so for them only requests the server cannot have acted on are retried: a
// 429, or a connection that failed before the request was written (refused, DNS failure).
// A 5xx, a timeout or a connection broken after sending is never retried; it matches
// ErrOutcomeUnknown instead.
//
// The idempotent calls are also retried on a 500, 502, 503 or 504, a timeout and a broken
// connection, within the same budget and waits: the GETs (List, ListAll, Get), which
// change nothing, so their failures never match ErrOutcomeUnknown; and Update (PUT) and
// Delete (DELETE), which HTTP defines as idempotent: a second PUT of the same name and
// description, or a second DELETE of the file, leaves it as the first did. When their
// retries run out, their failures do match ErrOutcomeUnknown (the change may have been
// made), and calling them again is the remedy.
type RetryPolicy struct {
	// MaxRetries is how many times a request may be sent again; 0 turns retries and
	// pacing off.
	MaxRetries int
	// MaxWait caps each wait the server asks for (default 30s). When the server asks for
	// longer, the *RateLimitError is returned at once; a call that would wait longer
	// than that for the rate-limit window fails at once too, unsent, with a
	// *RateLimitError. No single answer stops the client sending for longer than
	// MaxWait, though: once MaxWait has passed since an answer that asked for longer,
	// one request goes out to find out, and the other calls keep failing at once until
	// it is answered. x-ratelimit-reset is believed up to Pipedrive's 2-second window.
	// A wait for requests still in flight to be answered (their answers say when a
	// window ends) is bounded by those requests, not by MaxWait. Before any answer has
	// reported the limit, a single caller never waits; callers that come together wait
	// for the first answer, and when it takes longer than 2s (or MaxWait, if shorter)
	// one more goes. A 429 showing the daily budget spent holds every call (failing at
	// once, unsent) for the longer of its Retry-After and MaxWait, but not past the next
	// midnight UTC unless MaxWait is longer; after MaxWait one request checks the budget
	// all the same.
	MaxWait time.Duration
	// BaseDelay starts the exponential backoff used when the server gives no wait
	// (default 500ms); each wait is a random duration up to BaseDelay<<attempt.
	BaseDelay time.Duration
}

// NoRetry turns retries and rate-limit pacing off: WithRetry(NoRetry).
var NoRetry = RetryPolicy{}

// DefaultRetryPolicy is what a Client uses unless WithRetry says otherwise: up to 3
// retries, waits capped at 30 seconds.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MaxWait: 30 * time.Second, BaseDelay: 500 * time.Millisecond}
}

// withDefaults fills the zero durations.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxWait == 0 {
		p.MaxWait = d.MaxWait
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	return p
}

// backoff is the jittered exponential wait before retry number attempt (1-based).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	ceiling := p.BaseDelay << min(attempt-1, 16)
	if ceiling <= 0 || ceiling > p.MaxWait {
		ceiling = p.MaxWait
	}
	return ceiling/2 + rand.N(ceiling/2+1)
}

// Clock is the time source for the client's waits (rate-limit windows, retry backoff,
// SettleTime) and for the times it compares; WithClock replaces it in tests.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock returns the real time, the Clock a client uses unless WithClock says
// otherwise: for code that takes a Clock to share with a client, such as a command that
// tests give a fake one.
func WallClock() Clock { return realClock{} }

// realClock is the wall clock.
type realClock struct{}

// Now is time.Now.
func (realClock) Now() time.Time { return time.Now() }

// Sleep waits for d on a timer, or until ctx is done.
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// notSent reports whether err proves the request never left: the connection could not be
// made, so the server cannot have acted on it.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// retryableStatus reports whether an answer with status may be followed by another try:
// a 429 always (the request was refused), a 5xx that may be passing only for an
// idempotent request.
func retryableStatus(idempotent bool, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// transient reports whether a failure after the request may have been sent is worth
// another try for an idempotent request: a timeout or a connection broken mid-exchange.
func transient(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}
