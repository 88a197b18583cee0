package pipedrive

import (
	"context"
	"errors"
	"time"
)

// Attempt is one HTTP request the client sent, or tried to send, as WithAttemptHook's
// function sees it: a call makes one attempt, plus one for each retry.
type Attempt struct {
	// Operation names the call the attempt belongs to: its method and path template,
	// e.g. "POST /files/remote" or "GET /deals/{id}/files".
	Operation string
	// Attempt is the attempt's number within its call, from 1; retries count on.
	Attempt int
	// StatusCode is the HTTP status of the answer, or 0 when no answer came (the
	// connection failed or broke, or timed out), in which case Err says why.
	StatusCode int
	// Err is why the attempt got no answer, with every token and secret removed, as the
	// call's error would show it; nil when an answer came, whatever its status.
	Err error
	// Duration is how long the attempt took on the client's Clock, from sending the
	// request to the answer's arrival (for a list, its body's too) or the failure.
	Duration time.Duration
	// RateLimit is the rate-limit state the answer's headers reported (as
	// Client.RateLimit gives it); every count is -1 and Known false when no answer came.
	RateLimit RateLimit
}

// WithAttemptHook calls fn once for every attempt the client makes: each request it
// sends, retries included, and each that failed to connect. It is how to count requests
// and 429s, or to trace calls, without parsing log lines. Requests not sent at all (a
// validation error, a cancelled context, a WithRateLimiter or pacing wait that failed, a
// spent daily budget's hold) are no attempts and are not reported.
//
// fn runs synchronously, on the goroutine that made the call, once the answer's headers
// have arrived (for a list, once its body has been read too) or the attempt has failed,
// and before the client decides on a retry or returns. So it must be quick, and since
// goroutines sharing a client call it concurrently, safe for concurrent use. The Attempt
// never holds a token. A nil fn is an error; given more than once, the last fn is used.
func WithAttemptHook(fn func(context.Context, Attempt)) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("pipedrive: WithAttemptHook: hook func is nil")
		}
		c.onAttempt = fn
		return nil
	}
}

// attempted reports one attempt to the WithAttemptHook function, if there is one. err
// must already be redacted.
func (t *transport) attempted(ctx context.Context, op operation, attempt, status int, rl RateLimit, start time.Time, err error) {
	if t.onAttempt == nil {
		return
	}
	t.onAttempt(ctx, Attempt{
		Operation:  string(op),
		Attempt:    attempt,
		StatusCode: status,
		Err:        err,
		Duration:   t.clock.Now().Sub(start),
		RateLimit:  rl,
	})
}
