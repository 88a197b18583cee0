package pipedrive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

const retryToken = "s3cr3t-retry-token"

// fileJSON is a minimal successful response.
const fileJSON = `{"success":true,"data":{"id":7195,"remote_id":"1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c","add_time":"2020-02-21 11:52:28","update_time":"2020-02-21 11:52:24"}}`

// reply is one scripted answer.
type reply struct {
	status int
	header map[string]string
	body   string
}

// scriptedServer answers each request with the next reply (the last one repeats) and
// counts the requests it received.
func scriptedServer(t *testing.T, replies ...reply) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := int(n.Add(1)) - 1
		rep := replies[min(i, len(replies)-1)]
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newTestClient(t *testing.T, base string, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	c, err := pipedrive.NewClient(append([]pipedrive.Option{pipedrive.WithAPIToken(retryToken), pipedrive.WithBaseURL(base + "/api/v1")}, opts...)...)
	require.NoError(t, err)
	return c
}

func createDoc(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
	return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)})
}

const rateLimited = `{"success":false,"error":"Request over limit","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}`

func TestRetry429ThenSuccess(t *testing.T) {
	srv, n := scriptedServer(t,
		reply{status: 429, header: map[string]string{"Retry-After": "2", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1"}, body: rateLimited},
		reply{status: 200, header: map[string]string{"X-Ratelimit-Remaining": "19"}, body: fileJSON},
	)
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk))

	f, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(2), n.Load(), "one refused request, one that created the file")
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps(), "Retry-After wins over x-ratelimit-reset")
	assert.Equal(t, 19, c.RateLimit().Remaining)
}

func TestRetry429PastBudget(t *testing.T) {
	for mode, auth := range authModes {
		t.Run(mode, func(t *testing.T) { test429PastBudget(t, auth) })
	}
}

func test429PastBudget(t *testing.T, auth func(string) pipedrive.Option) {
	srv, n := scriptedServer(t, reply{status: 429, header: map[string]string{"X-Ratelimit-Reset": "1", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Limit": "20"}, body: rateLimited})
	var logs bytes.Buffer
	c, clk := faultClient(t, auth, srv.URL, &logs)

	_, err := createDoc(context.Background(), c)
	assertNoToken(t, err, &logs)
	assert.Equal(t, 4, strings.Count(logs.String(), "status=429"), "one log line per attempt")
	require.Error(t, err)
	assert.Equal(t, int64(4), n.Load(), "the first request and 3 retries")
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
}

func TestRetry429LongWaitReturnsAtOnce(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 429, header: map[string]string{"Retry-After": "10800"}, body: rateLimited})
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk))

	_, err := createDoc(context.Background(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 3*time.Hour, rl.RetryAfter)
	assert.Equal(t, int64(1), n.Load())
	assert.Empty(t, clk.Sleeps(), "a wait past MaxWait is not slept")
	assert.Contains(t, err.Error(), "retry after 3h0m0s")
}

func TestRetryAfterHTTPDate(t *testing.T) {
	clk := newFakeClock()
	date := clk.Now().Add(5 * time.Second).Format(http.TimeFormat)
	srv, n := scriptedServer(t,
		reply{status: 429, header: map[string]string{"Retry-After": date}, body: rateLimited},
		reply{status: 200, body: fileJSON},
	)
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk))
	_, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n.Load())
	assert.Equal(t, []time.Duration{5 * time.Second}, clk.Sleeps())
}

func TestRetryBackoffWithoutHeaders(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 429, body: rateLimited})
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk),
		pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, BaseDelay: 100 * time.Millisecond, MaxWait: 10 * time.Second}))
	_, err := createDoc(context.Background(), c)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	assert.Equal(t, int64(4), n.Load())
	sleeps := clk.Sleeps()
	require.Len(t, sleeps, 3)
	for i, d := range sleeps {
		ceiling := 100 * time.Millisecond << i
		assert.GreaterOrEqual(t, d, ceiling/2, "retry %d", i+1)
		assert.LessOrEqual(t, d, ceiling, "retry %d", i+1)
	}
}

func TestNoRetrySendsOnce(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: rateLimited})
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.NoRetry))
	_, err := createDoc(context.Background(), c)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	assert.Equal(t, int64(1), n.Load())
	assert.Empty(t, clk.Sleeps())
}

func TestServerErrorsAreNeverRetried(t *testing.T) {
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
		for mode, auth := range authModes {
			t.Run(http.StatusText(tc.status)+"/"+mode, func(t *testing.T) {
				srv, n := scriptedServer(t, reply{status: tc.status, header: map[string]string{"Content-Type": tc.ctype}, body: tc.body})
				var logs bytes.Buffer
				c, clk := faultClient(t, auth, srv.URL, &logs)
				_, err := createDoc(context.Background(), c)
				assert.Equal(t, int64(1), n.Load(), "a 5xx may have created the file: never sent twice")
				assert.Empty(t, clk.Sleeps())
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.status, apiErr.StatusCode)
				assert.ErrorIs(t, err, pipedrive.ErrServer)
				assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				assert.NotErrorIs(t, err, pipedrive.ErrRateLimited)
				assertNoToken(t, err, &logs)
			})
		}
	}
}

func TestWaitEndsWhenContextIsCancelled(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 429, header: map[string]string{"Retry-After": "20"}, body: rateLimited})
	c := newTestClient(t, srv.URL) // the real clock
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := createDoc(ctx, c)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second, "the 20s wait ended with the context")
	assert.Equal(t, int64(1), n.Load())
}

func TestPacingWaitsForResetInsteadOfSpendingA429(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 200, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "2"}, body: fileJSON})
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk))
	_, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Empty(t, clk.Sleeps(), "nothing known before the first response")
	_, err = createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps())
	assert.Equal(t, int64(2), n.Load())
}

func TestPacingEndsWithContext(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 200, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "2"}, body: fileJSON})
	clk := newFakeClock()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(clk))
	_, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = createDoc(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(1), n.Load(), "the paced request was never sent")
}

func TestRateLimitSnapshot(t *testing.T) {
	srv, _ := scriptedServer(t,
		reply{status: 200, header: map[string]string{
			"X-Ratelimit-Limit": "80", "X-Ratelimit-Remaining": "79", "X-Ratelimit-Reset": "2",
			"X-Daily-Requests-Left": "9990", "X-Daily-Ratelimit-Token-Limit": "30000", "X-Daily-Ratelimit-Token-Remaining": "29990",
		}, body: fileJSON},
		reply{status: 200, header: map[string]string{"X-Ratelimit-Limit": "eighty", "X-Ratelimit-Remaining": "-3", "X-Ratelimit-Reset": "soon"}, body: fileJSON},
		reply{status: 404, header: map[string]string{"X-Ratelimit-Remaining": "77"}, body: `{"success":false,"error":"Deal not found"}`},
	)
	c := newTestClient(t, srv.URL, pipedrive.WithClock(newFakeClock()))
	before := c.RateLimit()
	assert.False(t, before.Known)
	assert.Equal(t, -1, before.Remaining)

	_, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, pipedrive.RateLimit{Limit: 80, Remaining: 79, Reset: 2 * time.Second, DailyRequestsLeft: 9990,
		DailyTokenLimit: 30000, DailyTokenRemaining: 29990, Known: true}, c.RateLimit())

	_, err = createDoc(context.Background(), c)
	require.NoError(t, err, "garbage rate-limit headers are ignored, not fatal")
	assert.Equal(t, pipedrive.RateLimit{Limit: -1, Remaining: -1, Reset: -1, DailyRequestsLeft: -1,
		DailyTokenLimit: -1, DailyTokenRemaining: -1, Known: false}, c.RateLimit())

	_, err = createDoc(context.Background(), c)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 77, apiErr.RateLimit.Remaining, "the error carries its own response's snapshot")
	assert.Equal(t, 77, c.RateLimit().Remaining)
}

func TestLoggerOneLinePerAttemptWithoutToken(t *testing.T) {
	srv, _ := scriptedServer(t,
		reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: rateLimited},
		reply{status: 200, header: map[string]string{"X-Ratelimit-Remaining": "18"}, body: fileJSON},
	)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := pipedrive.NewClient(pipedrive.WithAPITokenInQuery(retryToken), pipedrive.WithBaseURL(srv.URL+"/api/v1"),
		pipedrive.WithClock(newFakeClock()), pipedrive.WithLogger(logger))
	require.NoError(t, err)
	_, err = createDoc(context.Background(), c)
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, buf.String())
	assert.Contains(t, lines[0], `operation="POST /files/remote" status=429 attempt=1 wait=1s`)
	assert.Contains(t, lines[1], "status=200 attempt=2 wait=0s remaining=18 daily_requests_left=-1")
	assert.Contains(t, lines[1], "duration=")
	assert.NotContains(t, buf.String(), retryToken)
}

func TestLoggerOffByDefaultAndNoDebugBelowLevel(t *testing.T) {
	srv, _ := scriptedServer(t, reply{status: 200, body: fileJSON})
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newTestClient(t, srv.URL, pipedrive.WithLogger(logger))
	_, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

func TestRetryPolicyValidation(t *testing.T) {
	_, err := pipedrive.NewClient(pipedrive.WithAPIToken("t"), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: -1}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithRetry")
	assert.Contains(t, err.Error(), "must not be negative")
	assert.False(t, errors.Is(err, pipedrive.ErrInvalidRequest), "a bad option is not a bad request")
}

func TestCancelledInFlightIsOutcomeUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		cancel() // the server has the request; the caller gives up
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	_, err := createDoc(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "the server had the request")
	assert.Equal(t, int64(1), n.Load())
}

// A 429 that says to wait 0 seconds still gets a backoff: resending at once is the
// hammering Pipedrive escalates to a 403 block.
func TestRetryAfterZeroStillBacksOff(t *testing.T) {
	for _, h := range []map[string]string{{"Retry-After": "0"}, {"X-Ratelimit-Reset": "0"}} {
		srv, n := scriptedServer(t, reply{status: 429, header: h, body: rateLimited}, reply{status: 200, body: fileJSON})
		clk := newFakeClock()
		c := newTestClient(t, srv.URL, pipedrive.WithClock(clk),
			pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, BaseDelay: 200 * time.Millisecond}))
		_, err := createDoc(context.Background(), c)
		require.NoError(t, err)
		assert.Equal(t, int64(2), n.Load())
		sleeps := clk.Sleeps()
		require.Len(t, sleeps, 1, "%v", h)
		assert.GreaterOrEqual(t, sleeps[0], 100*time.Millisecond, "%v", h)
	}
}

func TestRFC3339TimesAreAccepted(t *testing.T) {
	srv, _ := scriptedServer(t, reply{status: 200, body: `{"success":true,"data":{"id":1,"add_time":"2020-02-21T13:52:28+02:00"}}`})
	c := newTestClient(t, srv.URL)
	f, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC), f.AddTime)
	assert.Equal(t, time.UTC, f.AddTime.Location())
}

// url.Parse errors quote the whole input; a URL holding a secret must not be echoed.
func TestWithBaseURLErrorDoesNotEchoTheURL(t *testing.T) {
	_, err := pipedrive.NewClient(pipedrive.WithAPIToken("t"), pipedrive.WithBaseURL("https://acme.pipedrive.com/api/v1?api_token=s3cret\x7f"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithBaseURL: not a valid URL")
	assert.NotContains(t, err.Error(), "s3cret")
}
