package pipedrive_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestRetry429ThenSuccess(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(429, rateLimited, "Retry-After", "2", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1"),
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "19"),
	))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))

	f, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(2), api.count(), "one refused request, one that created the file")
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps(), "Retry-After wins over x-ratelimit-reset")
	assert.Equal(t, 19, c.RateLimit().Remaining)
}

func TestRetry429PastBudget(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(429, rateLimited, "X-Ratelimit-Reset", "1", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Limit", "20"))
			var logs bytes.Buffer
			clk := newFakeClock()
			c := mode.client(t, api.baseURL(), retries, pipedrive.WithClock(clk), debugLog(&logs))

			_, err := createDoc(t.Context(), c)
			requireNoSecret(t, testToken, err, c, &logs)
			assert.Equal(t, 4, strings.Count(logs.String(), "status=429"), "one log line per attempt")
			require.Error(t, err)
			assert.Equal(t, int64(4), api.count(), "the first request and 3 retries")
			// Each retry waits x-ratelimit-reset; pacing adds nothing because the retry loop
			// already waited out the window.
			assert.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, clk.Sleeps())

			var rl *pipedrive.RateLimitError
			require.ErrorAs(t, err, &rl)
			assert.Equal(t, time.Second, rl.RetryAfter)
			assert.ErrorIs(t, err, pipedrive.ErrRateLimited)
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "a 429 was refused, nothing was done")
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 429, apiErr.StatusCode)
			assert.Equal(t, "Request over limit", apiErr.Message)
			assert.Equal(t, 20, apiErr.RateLimit.Limit)
			assert.Equal(t, 0, apiErr.RateLimit.Remaining)
		})
	}
}

func TestRetry429LongWaitReturnsAtOnce(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, rateLimited, "Retry-After", "10800"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))

	_, err := createDoc(t.Context(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 3*time.Hour, rl.RetryAfter)
	assert.Equal(t, int64(1), api.count())
	assert.Empty(t, clk.Sleeps(), "a wait past MaxWait is not slept")
	assert.Contains(t, err.Error(), "retry after 3h0m0s")
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	date := clk.Now().Add(5 * time.Second).Format(http.TimeFormat)
	api := newFakeAPI(t, inTurn(replyJSON(429, rateLimited, "Retry-After", date), replyJSON(200, minimalSuccessJSON)))
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(2), api.count())
	assert.Equal(t, []time.Duration{5 * time.Second}, clk.Sleeps())
}

func TestRetryBackoffWithoutHeaders(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, rateLimited))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk),
		pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, BaseDelay: 100 * time.Millisecond, MaxWait: 10 * time.Second}))
	_, err := createDoc(t.Context(), c)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	assert.Equal(t, int64(4), api.count())
	requireBackoff(t, clk.Sleeps(), 3, 100*time.Millisecond)
}

// requireBackoff checks that n waits were made, retry i's a jittered wait between half
// and all of base<<i.
func requireBackoff(t *testing.T, sleeps []time.Duration, n int, base time.Duration) {
	t.Helper()
	require.Len(t, sleeps, n)
	for i, d := range sleeps {
		ceiling := base << i
		assert.GreaterOrEqual(t, d, ceiling/2, "retry %d", i+1)
		assert.LessOrEqual(t, d, ceiling, "retry %d", i+1)
	}
}

func TestNoRetrySendsOnce(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, rateLimited, "Retry-After", "1"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.NoRetry))
	_, err := createDoc(t.Context(), c)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	assert.Equal(t, int64(1), api.count())
	assert.Empty(t, clk.Sleeps())
}

func TestServerErrorsAreNeverRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		ctype  string
		body   string
	}{
		{500, "application/json", `{"success":false,"error":"Internal server error","data":null}`},
		{502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{503, "application/json", `{"success":false,"error":"Service is under maintenance","error_info":"Try again later"}`},
		{504, "text/html", "<html><body>504 Gateway Time-out</body></html>"},
	}
	for _, tc := range cases {
		for _, mode := range tokenModes {
			t.Run(http.StatusText(tc.status)+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, replyRaw(tc.status, tc.ctype, tc.body))
				var logs bytes.Buffer
				clk := newFakeClock()
				c := mode.client(t, api.baseURL(), retries, pipedrive.WithClock(clk), debugLog(&logs))
				_, err := createDoc(t.Context(), c)
				assert.Equal(t, int64(1), api.count(), "a 5xx may have created the file: never sent twice")
				assert.Empty(t, clk.Sleeps())
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.status, apiErr.StatusCode)
				assert.ErrorIs(t, err, pipedrive.ErrServer)
				assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				assert.NotErrorIs(t, err, pipedrive.ErrRateLimited)
				requireNoSecret(t, testToken, err, c, &logs)
			})
		}
	}
}

// cancellingClock is a Clock whose every wait is cut short by the caller's context
// ending, as a real 20 s wait would be by a deadline: Sleep records the wait, cancels,
// and returns what a real Sleep returns then.
type cancellingClock struct {
	cancel context.CancelFunc
	asked  []time.Duration
}

func (c *cancellingClock) Now() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func (c *cancellingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.asked = append(c.asked, d)
	c.cancel()
	<-ctx.Done()
	return ctx.Err()
}

// A retry's wait ends when the caller's context does, and nothing more is sent.
func TestWaitEndsWhenContextIsCancelled(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, rateLimited, "Retry-After", "20"))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	clk := &cancellingClock{cancel: cancel}
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))
	_, err := createDoc(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "waiting to retry after 429")
	assert.Equal(t, []time.Duration{20 * time.Second}, clk.asked)
	assert.Equal(t, int64(1), api.count())
}

func TestPacingWaitsForResetInsteadOfSpendingA429(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Empty(t, clk.Sleeps(), "nothing known before the first response")
	_, err = createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps())
	assert.Equal(t, int64(2), api.count())
}

func TestPacingEndsWithContext(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2"))
	c := newClient(t, api.baseURL(), retries)
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = createDoc(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(1), api.count(), "the paced request was never sent")
}

func TestRateLimitSnapshot(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "80", "X-Ratelimit-Remaining", "79", "X-Ratelimit-Reset", "2",
			"X-Daily-Requests-Left", "9990", "X-Daily-Ratelimit-Token-Limit", "30000", "X-Daily-Ratelimit-Token-Remaining", "29990"),
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "eighty", "X-Ratelimit-Remaining", "-3", "X-Ratelimit-Reset", "soon"),
		replyJSON(404, `{"success":false,"error":"Deal not found"}`, "X-Ratelimit-Remaining", "77"),
	))
	c := newClient(t, api.baseURL(), retries)
	before := c.RateLimit()
	assert.False(t, before.Known)
	assert.Equal(t, -1, before.Remaining)

	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, pipedrive.RateLimit{Limit: 80, Remaining: 79, Reset: 2 * time.Second, DailyRequestsLeft: 9990,
		DailyTokenLimit: 30000, DailyTokenRemaining: 29990, Known: true}, c.RateLimit())

	_, err = createDoc(t.Context(), c)
	require.NoError(t, err, "garbage rate-limit headers are ignored, not fatal")
	assert.Equal(t, pipedrive.RateLimit{Limit: -1, Remaining: -1, Reset: -1, DailyRequestsLeft: -1,
		DailyTokenLimit: -1, DailyTokenRemaining: -1, Known: false}, c.RateLimit())

	_, err = createDoc(t.Context(), c)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 77, apiErr.RateLimit.Remaining, "the error carries its own response's snapshot")
	assert.Equal(t, 77, c.RateLimit().Remaining)
}

func TestLoggerOneLinePerAttemptWithoutToken(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(429, rateLimited, "Retry-After", "1"),
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "18"),
	))
	var buf bytes.Buffer
	c := tokenModes[1].client(t, api.baseURL(), retries, debugLog(&buf)) // the query mode: the token is in the URL
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, buf.String())
	assert.Contains(t, lines[0], `operation="POST /files/remote" status=429 attempt=1 wait=1s`)
	assert.Contains(t, lines[1], "status=200 attempt=2 wait=0s remaining=18 daily_requests_left=-1")
	assert.Contains(t, lines[1], "duration=")
	assert.NotContains(t, buf.String(), testToken)
}

func TestLoggerOffByDefaultAndNoDebugBelowLevel(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newClient(t, api.baseURL(), pipedrive.WithLogger(logger))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

func TestRetryPolicyValidation(t *testing.T) {
	t.Parallel()
	_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: -1}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithRetry")
	assert.Contains(t, err.Error(), "must not be negative")
	assert.False(t, errors.Is(err, pipedrive.ErrInvalidRequest), "a bad option is not a bad request")
}

func TestCancelledInFlightIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the server has the request; the caller gives up
		<-r.Context().Done()
	})
	c := newClient(t, api.baseURL(), retries)
	_, err := createDoc(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "the server had the request")
	assert.Equal(t, int64(1), api.count())
}

// A 429 that says to wait 0 seconds still gets a backoff: resending at once is the
// hammering Pipedrive escalates to a 403 block.
func TestRetryAfterZeroStillBacksOff(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"Retry-After", "X-Ratelimit-Reset"} {
		t.Run(h, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, inTurn(replyJSON(429, rateLimited, h, "0"), replyJSON(200, minimalSuccessJSON)))
			clk := newFakeClock()
			c := newClient(t, api.baseURL(), pipedrive.WithClock(clk),
				pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, BaseDelay: 200 * time.Millisecond}))
			_, err := createDoc(t.Context(), c)
			require.NoError(t, err)
			assert.Equal(t, int64(2), api.count())
			sleeps := clk.Sleeps()
			require.Len(t, sleeps, 1)
			assert.GreaterOrEqual(t, sleeps[0], 100*time.Millisecond)
		})
	}
}

func TestRFC3339TimesAreAccepted(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, `{"success":true,"data":{"id":1,"add_time":"2020-02-21T13:52:28+02:00"}}`))
	f, err := createDoc(t.Context(), newClient(t, api.baseURL()))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC), f.AddTime)
	assert.Equal(t, time.UTC, f.AddTime.Location())
}

// url.Parse errors quote the whole input; a URL holding a secret must not be echoed.
func TestWithBaseURLErrorDoesNotEchoTheURL(t *testing.T) {
	t.Parallel()
	_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithBaseURL("https://acme.pipedrive.com/api/v1?api_token=s3cret\x7f"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithBaseURL: not a valid URL")
	assert.NotContains(t, err.Error(), "s3cret")
}
