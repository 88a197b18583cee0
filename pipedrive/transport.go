package pipedrive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// transport sends each request for the generated client: it paces, retries what is safe
// to retry, records the rate-limit headers and keeps the token out of errors.
type transport struct {
	hc      *http.Client
	policy  RetryPolicy
	clock   Clock
	logger  *slog.Logger
	redact  *redactor
	cred    credential  // put on each attempt, so a retry carries the token as of then
	limiter RateLimiter // WithRateLimiter's, or nil
	pacer   *pacer      // nil when pacing is off (NoRetry)
	// onAttempt is WithAttemptHook's function, or nil.
	onAttempt func(context.Context, Attempt)

	// The most recent response's rate limit.
	mu   sync.Mutex
	last RateLimit
	seen bool // last is set
}

// Do implements gen.HttpRequestDoer.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	op := operationOf(ctx) // for errors and logs
	read, retryable := safe(req.Method), idempotent(req.Method)
	query := req.URL.RawQuery // without the credential, which an attempt may add to it
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			var err error
			if req, err = rewind(req, query); err != nil {
				return nil, err
			}
		}
		tk, err := t.admit(ctx, op)
		if err != nil {
			return nil, err
		}
		// After the waits, so that an OAuth token that expired meanwhile is refreshed.
		if err := t.cred.apply(req); err != nil {
			t.pacer.release(tk)
			return nil, err
		}
		var start time.Time // for the log line and the hook's Attempt.Duration only
		if t.logger != nil || t.onAttempt != nil {
			start = t.clock.Now()
		}
		resp, err := t.attempt(retryable, req)
		if err != nil {
			t.pacer.release(tk)
			err = t.redact.error(err)
			retry := ctx.Err() == nil && (notSent(err) || retryable && transient(err)) && attempt <= t.policy.MaxRetries
			var wait time.Duration
			if retry {
				wait = t.policy.backoff(attempt)
			}
			t.log(ctx, op, attempt, 0, wait, unknownRateLimit(), start, err)
			t.attempted(ctx, op, attempt, 0, unknownRateLimit(), start, err)
			if !retry {
				return nil, classify(read, err)
			}
			if err := t.clock.Sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("waiting to retry after a failed connection: %w", err)
			}
			continue
		}
		now := t.clock.Now()
		rl := parseRateLimit(resp.Header)
		t.mu.Lock()
		t.last, t.seen = rl, true
		t.mu.Unlock()
		t.pacer.observe(tk, resp.StatusCode, resp.Header, rl, now)
		wait, retry := t.retryWait(retryable, resp, attempt, now)
		if rl.dailySpent() {
			wait, retry = 0, false // no retry can succeed before the daily budget resets
		}
		t.log(ctx, op, attempt, resp.StatusCode, wait, rl, start, nil)
		t.attempted(ctx, op, attempt, resp.StatusCode, rl, start, nil)
		if !retry {
			return resp, nil
		}
		discard(resp)
		if err := t.clock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("waiting to retry after %d: %w", resp.StatusCode, err)
		}
	}
}

// attempt sends req once. For an idempotent request (retryable) the body is read here
// too, so that a connection broken mid-body is a failed attempt, retried like any other
// broken connection. The response names its request, for sentSafe.
func (t *transport) attempt(retryable bool, req *http.Request) (*http.Response, error) {
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.Request == nil {
		resp.Request = req // a caller's RoundTripper may leave it unset
	}
	if !retryable {
		return resp, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// retryWait decides whether a response is retried and after how long: a 429, or for an
// idempotent request (retryable) a 500, 502, 503 or 504 too, within the retry budget,
// asking for no more than MaxWait.
func (t *transport) retryWait(retryable bool, resp *http.Response, attempt int, now time.Time) (time.Duration, bool) {
	if !retryableStatus(retryable, resp.StatusCode) || attempt > t.policy.MaxRetries {
		return 0, false
	}
	// A zero wait would resend at once, the hammering Pipedrive escalates to a 403 block.
	wait, ok := retryAfter(resp.Header, now)
	if resp.StatusCode != http.StatusTooManyRequests && resp.Header.Get(hdrRetryAfter) == "" {
		ok = false // x-ratelimit-reset times the rate-limit window, not a server's recovery
	}
	if !ok || wait <= 0 {
		wait = t.policy.backoff(attempt)
	}
	return wait, wait <= t.policy.MaxWait
}

// admit waits for the pacer, then for the caller's limiter (WithRateLimiter). The
// limiter comes last, so that the request goes out when it says: one shared by several
// processes hands out turns on one schedule, and a request held by the pacer after its
// turn would go out off that schedule, in another's.
func (t *transport) admit(ctx context.Context, op operation) (ticket, error) {
	if err := ctx.Err(); err != nil {
		return ticket{}, fmt.Errorf("not sent: %w", err)
	}
	tk, err := t.pacer.admit(ctx, op)
	if err != nil || t.limiter == nil {
		return tk, err
	}
	if err := t.limiter.Wait(ctx); err != nil {
		t.pacer.release(tk)
		return ticket{}, fmt.Errorf("not sent: waiting for the rate limiter: %w", err)
	}
	return tk, nil
}

// rateLimit is the snapshot from the most recent response.
func (t *transport) rateLimit() RateLimit {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen {
		return t.last
	}
	return unknownRateLimit()
}

// classify marks a transport error: one that proves nothing was sent stays as it is, as
// does any failure of a read; anything else (a POST, PUT or DELETE) may have reached
// Pipedrive and matches ErrOutcomeUnknown.
func classify(read bool, err error) error {
	switch {
	case notSent(err):
		return fmt.Errorf("could not connect, nothing was sent: %w", err)
	case read:
		return err
	}
	return withSentinel(ErrOutcomeUnknown, err)
}

// rewind returns a copy of req with a fresh body and its query as it was before the
// credential was added (query), for another attempt.
func rewind(req *http.Request, query string) (*http.Request, error) {
	next := req.Clone(req.Context())
	next.URL.RawQuery = query
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("rewinding request body: %w", err)
		}
		next.Body = body
	}
	return next, nil
}

// discard drains a small body so the connection can be reused, then closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// log writes the debug line for one attempt; the URL (whose query may hold the token) is
// never logged, only the operation's name.
func (t *transport) log(ctx context.Context, op operation, attempt, status int, wait time.Duration, rl RateLimit, start time.Time, err error) {
	if t.logger == nil || !t.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", string(op)),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait),
		slog.Int("remaining", rl.Remaining),
		slog.Int("daily_requests_left", rl.DailyRequestsLeft),
		slog.Duration("duration", t.clock.Now().Sub(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "pipedrive request", attrs...)
}
