package pipedrivetest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

var (
	createDoc = pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)}
	linkDoc   = pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)}
)

func statuses(srv *pipedrivetest.Server) []int {
	var out []int
	for _, r := range srv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func TestWithoutGoogleAccount(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithoutGoogleAccount())
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	_, err := c.Files.CreateRemote(ctx, createDoc)
	require.ErrorIs(t, err, pipedrive.ErrForbidden)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "No Google account is connected: connect Google Drive in Pipedrive under Settings > Google", apiErr.Message)
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrForbidden)
	assert.Empty(t, srv.Files())
	assert.Equal(t, []int{403, 403}, statuses(srv), "a 403 is not retried")

	// An invalid request is still refused for what it is.
	status, _, body := post(t, srv, "/files/remoteLink", "application/x-www-form-urlencoded", "item_id=12", tokenHeader(srv))
	assert.Equal(t, http.StatusBadRequest, status, body)
}

func TestWithRateLimit(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(2, 2*time.Second), pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	ctx := context.Background()

	// A client that does not retry sees the limit as it is.
	strict := client(t, srv, pipedrive.WithRetry(pipedrive.NoRetry), pipedrive.WithClock(clk))
	_, err := strict.Files.CreateRemote(ctx, createDoc)
	require.NoError(t, err)
	rl := strict.RateLimit()
	assert.Equal(t, [3]int{2, 1, 99999}, [3]int{rl.Limit, rl.Remaining, rl.DailyRequestsLeft})
	assert.Equal(t, 2*time.Second, rl.Reset)
	clk.Advance(500 * time.Millisecond)
	_, err = strict.Files.LinkRemote(ctx, linkDoc)
	require.NoError(t, err)
	assert.Equal(t, 0, strict.RateLimit().Remaining)
	assert.Equal(t, 2*time.Second, strict.RateLimit().Reset, "1.5s left, rounded up to whole seconds")

	_, err = strict.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	var rlErr *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rlErr)
	assert.Equal(t, 2*time.Second, rlErr.RetryAfter)
	assert.Equal(t, 0, rlErr.RateLimit.Remaining)
	assert.Equal(t, "Request over limit: the burst rate limit is spent. Wait for x-ratelimit-reset seconds.", rlErr.Message)
	assert.Len(t, srv.Files(), 2, "a refused request stores nothing")

	// A client with the default policy waits x-ratelimit-reset and sends it again, once.
	patient := client(t, srv, pipedrive.WithClock(clk))
	clk.Advance(time.Second)
	f, err := patient.Files.LinkRemote(ctx, linkDoc)
	require.NoError(t, err)
	assert.Equal(t, int64(3), f.ID)
	assert.Equal(t, []time.Duration{time.Second}, clk.Sleeps())
	assert.Equal(t, []int{200, 200, 429, 429, 200}, statuses(srv))

	// Every response carries the headers, failures included.
	status, h, _ := post(t, srv, "/files/remote", "text/plain", "{}", tokenHeader(srv))
	require.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "2", h.Get("X-Ratelimit-Limit"))
	assert.Equal(t, "0", h.Get("X-Ratelimit-Remaining"))
	assert.Equal(t, "2", h.Get("X-Ratelimit-Reset"))
	assert.Equal(t, "1000000", h.Get("X-Daily-Ratelimit-Token-Limit"))
	assert.Equal(t, "999960", h.Get("X-Daily-Ratelimit-Token-Remaining"), "four POSTs served, 10 tokens each")
	assert.Equal(t, "99996", h.Get("X-Daily-Requests-Left"))
}

func TestWithDailyBudget(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(time.Date(2026, 3, 14, 23, 59, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithDailyBudget(20), pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := client(t, srv, pipedrive.WithClock(clk))
	ctx := context.Background()

	_, err := c.Files.CreateRemote(ctx, createDoc)
	require.NoError(t, err)
	rl := c.RateLimit()
	assert.Equal(t, [3]int{20, 10, 1}, [3]int{rl.DailyTokenLimit, rl.DailyTokenRemaining, rl.DailyRequestsLeft}, "a POST costs 10 tokens")
	_, err = c.Files.CreateRemote(ctx, createDoc)
	require.NoError(t, err)
	rl = c.RateLimit()
	assert.Equal(t, [2]int{0, 0}, [2]int{rl.DailyTokenRemaining, rl.DailyRequestsLeft})

	// Spent: one request, answered 429 with Retry-After until midnight; the client does
	// not retry, as no retry can succeed before then.
	_, err = c.Files.CreateRemote(ctx, createDoc)
	var rlErr *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rlErr)
	assert.True(t, rlErr.Daily)
	assert.Equal(t, time.Minute, rlErr.RetryAfter)
	assert.Equal(t, 0, rlErr.RateLimit.DailyTokenRemaining)
	assert.Equal(t, 2*time.Second, rlErr.RateLimit.Reset, "x-ratelimit-reset still describes the 2s window")
	assert.Equal(t, "Request over limit: the daily rate limit is spent. Wait for Retry-After seconds, until midnight UTC.", rlErr.Message)
	assert.Empty(t, clk.Sleeps())
	assert.Equal(t, []int{200, 200, 429}, statuses(srv))

	// Until the client's MaxWait (30 s) has passed, calls fail without being sent.
	clk.Advance(29 * time.Second)
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorAs(t, err, &rlErr)
	assert.True(t, rlErr.Daily)
	assert.Equal(t, 31*time.Second, rlErr.RetryAfter, "until midnight")
	assert.Len(t, srv.Requests(), 3, "nothing sent")

	// The next day the budget is back, and the request that checks finds it.
	clk.Advance(31 * time.Second)
	_, err = c.Files.CreateRemote(ctx, createDoc)
	require.NoError(t, err)
	assert.Equal(t, 10, c.RateLimit().DailyTokenRemaining)

	// A budget of zero refuses the first request.
	empty := pipedrivetest.NewServer(pipedrivetest.WithDailyBudget(0))
	defer empty.Close()
	_, err = client(t, empty).Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	require.ErrorAs(t, err, &rlErr)
	assert.True(t, rlErr.Daily)
}

// A budget that is not a multiple of a call's cost still serves calls while any token is
// left, and never shows less than zero; a list GET costs 20 tokens, a POST 10, whatever
// their answers. x-daily-requests-left rounds up, so it is 0 only when nothing more is
// admitted.
func TestDailyBudgetCountsTokens(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithDailyBudget(45))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	send := func(method, path string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL()+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-Api-Token", srv.Token())
		resp, err := (&http.Client{Transport: tr}).Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Daily-Ratelimit-Token-Remaining"), resp.Header.Get("X-Daily-Requests-Left")
	}
	for _, want := range []struct {
		method, path, left, requestsLeft string
		status                           int
	}{
		{http.MethodGet, "/deals/12/files", "25", "", http.StatusOK},         // 20 tokens; no x-daily-requests-left on a GET
		{http.MethodPost, "/files/remote", "15", "2", http.StatusBadRequest}, // 10, charged although refused
		{http.MethodGet, "/files/1", "13", "", http.StatusNotFound},          // 2
		{http.MethodDelete, "/files/1", "7", "", http.StatusNotFound},        // 6; none on a DELETE either
		{http.MethodPut, "/files/1", "0", "0", http.StatusNotFound},          // 10, admitted with 7 left
		{http.MethodGet, "/files", "0", "", http.StatusTooManyRequests},
		{http.MethodPost, "/files/remote", "0", "0", http.StatusTooManyRequests},
	} {
		status, left, requestsLeft := send(want.method, want.path)
		assert.Equal(t, want.status, status, want.method+" "+want.path)
		assert.Equal(t, want.left, left, want.method+" "+want.path)
		assert.Equal(t, want.requestsLeft, requestsLeft, want.method+" "+want.path)
	}
}

// x-daily-requests-left is sent for API-token requests only, as Pipedrive documents.
func TestDailyRequestsLeftOnlyForAPITokens(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	_, h, _ := post(t, srv, "/files/remote", "text/plain", "", tokenHeader(srv))
	assert.Equal(t, "99999", h.Get("X-Daily-Requests-Left"))
	_, h, _ = post(t, srv, "/files/remote", "text/plain", "", http.Header{"Authorization": {"Bearer " + srv.Token()}})
	assert.Empty(t, h.Values("X-Daily-Requests-Left"))
	assert.Equal(t, "999980", h.Get("X-Daily-Ratelimit-Token-Remaining"))
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	// Scripted bodies need not conform to the spec (HTML, say), so no conformance check.
	c := srv.Client(pipedrive.WithRetry(pipedrive.NoRetry))
	ctx := context.Background()

	srv.FailNext(http.StatusInternalServerError, `{"success":false,"error":"boom","error_info":"x","data":null}`)
	srv.FailNext(http.StatusForbidden, "<html><body>Access denied</body></html>")
	srv.FailNext(http.StatusOK, `{"success":false,"error":"odd"}`)
	srv.FailNext(http.StatusBadGateway, "")

	_, err := c.Files.CreateRemote(ctx, createDoc)
	require.ErrorIs(t, err, pipedrive.ErrServer)
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "boom", apiErr.Message)

	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrForbidden)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "<html><body>Access denied</body></html>", string(apiErr.Body))

	// A 200 that says "success": false is an error too (how the client classifies its
	// outcome is the client's business, tested in package pipedrive).
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusOK, apiErr.StatusCode)
	assert.Equal(t, "odd", apiErr.Message)

	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrServer)
	require.ErrorAs(t, err, &apiErr)
	assert.Empty(t, apiErr.Body)

	// The queue is empty again: the next call goes through.
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.NoError(t, err)
	assert.Len(t, srv.Files(), 1)

	reqs := srv.Requests()
	assert.Equal(t, []int{500, 403, 200, 502, 200}, statuses(srv))
	assert.Equal(t, "<html><body>Access denied</body></html>", reqs[1].Response)
	assert.Equal(t, "/api/v1/files/remote", reqs[0].Path, "a scripted failure is recorded like any request")
}

// A request the rate limit refuses is not carried out, so it does not use up a lost
// answer: the next admitted request is carried out and gets it.
func TestFailNextAfterCommitWaitsForAnAdmittedRequest(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(1, 2*time.Second), pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := srv.Client(pipedrive.WithRetry(pipedrive.NoRetry), pipedrive.WithClock(clk))
	ctx := context.Background()
	_, err := c.Files.CreateRemote(ctx, createDoc)
	require.NoError(t, err)

	srv.FailNextAfterCommit(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)
	assert.Len(t, srv.Files(), 1, "refused: not carried out")

	clk.Advance(2 * time.Second)
	_, err = c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Len(t, srv.Files(), 2, "carried out, its answer lost")
	assert.Equal(t, []int{200, 429, 502}, statuses(srv))
}

func TestFailNextWith429IsRetried(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := srv.Client(pipedrive.WithClock(clk))

	srv.FailNext(http.StatusTooManyRequests, `{"success":false,"error":"Request over limit"}`)
	f, err := c.Files.CreateRemote(context.Background(), createDoc)
	require.NoError(t, err)
	assert.Equal(t, int64(1), f.ID)
	assert.Equal(t, []int{429, 200}, statuses(srv))
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps(), "waited x-ratelimit-reset of the default 2s window")
}

func TestOptionMisuse(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "pipedrivetest: WithRateLimit: n must be at least 1 and window positive", func() { pipedrivetest.WithRateLimit(0, time.Second) })
	assert.Panics(t, func() { pipedrivetest.WithRateLimit(1, 0) })
	assert.Panics(t, func() { pipedrivetest.WithDailyBudget(-1) })
	assert.Panics(t, func() { pipedrivetest.WithClock(nil) })
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	assert.PanicsWithValue(t, "pipedrivetest: FailNext: invalid HTTP status 42", func() { srv.FailNext(42, "") })
}
