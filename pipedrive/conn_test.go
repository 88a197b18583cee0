package pipedrive_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// connRounds is a cyclic barrier: wait returns when n callers are waiting (or ctx ends).
type connRounds struct {
	n       int
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (rs *connRounds) wait(ctx context.Context) {
	rs.mu.Lock()
	if rs.release == nil {
		rs.release = make(chan struct{})
	}
	release := rs.release
	if rs.waiting++; rs.waiting == rs.n {
		close(release)
		rs.release, rs.waiting = nil, 0
	}
	rs.mu.Unlock()
	select {
	case <-release:
	case <-ctx.Done(): // a call failed: the test is failing anyway
	}
}

// connCall makes call i: creates and links alternate, so both operations are covered.
func connCall(ctx context.Context, c *pipedrive.Client, i int) (*pipedrive.RemoteFile, error) {
	if i%2 == 0 {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal " + strconv.Itoa(i), Item: pipedrive.Deal(int64(i + 1))})
	}
	return c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", Item: pipedrive.Person(int64(i + 1))})
}

// benchReply is a success with every field, as Pipedrive sends it.
var benchReply = replyJSON(http.StatusOK, benchBody)

func TestSequentialCallsShareOneConnection(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, benchReply)
	c := newClient(t, api.baseURL(), retries) // the default HTTP client and retry policy, as most users build it
	for i := range 200 {
		f, err := connCall(t.Context(), c, i)
		require.NoError(t, err, "call %d", i)
		require.Equal(t, int64(7195), f.ID)
	}
	assert.Equal(t, int64(200), api.count())
	assert.Equal(t, int64(1), api.connections(), "200 sequential calls should reuse one keep-alive connection")
}

func TestErrorResponsesLeaveTheConnectionReusable(t *testing.T) {
	t.Parallel()
	const errJSON = `{"success":false,"error":"Item not found","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}`
	cdnPage := "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>" +
		strings.Repeat("<p>Sorry, you have been blocked. You are unable to access pipedrive.com.</p>\n", 2000) + "</body></html>" // ~150 KiB
	cases := []struct {
		name   string
		status int
		reply  http.HandlerFunc
		want   error // the sentinel the error must match; nil for statuses without one
	}{
		{"400 JSON", 400, replyJSON(400, errJSON), nil},
		{"401 JSON", 401, replyJSON(401, errJSON), pipedrive.ErrUnauthorized},
		{"404 JSON", 404, replyJSON(404, errJSON), pipedrive.ErrNotFound},
		{"404 JSON chunked", 404, replyChunked(404, "application/json", errJSON), pipedrive.ErrNotFound},
		{"422 JSON", 422, replyJSON(422, errJSON), nil},
		{"429 JSON, retries off", 429, replyJSON(429, errJSON, "Retry-After", "2"), pipedrive.ErrRateLimited},
		{"500 JSON", 500, replyJSON(500, errJSON), pipedrive.ErrServer},
		{"502 HTML from a proxy", 502, replyRaw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"), pipedrive.ErrServer},
		{"503 empty body", 503, replyRaw(503, "", ""), pipedrive.ErrServer},
		{"403 HTML from the CDN", 403, replyRaw(403, "text/html; charset=UTF-8", cdnPage), pipedrive.ErrForbidden},
		{"403 HTML from the CDN, chunked", 403, replyChunked(403, "text/html; charset=UTF-8", cdnPage), pipedrive.ErrForbidden},
		{"200 success false", 200, replyJSON(200, errJSON), nil}, // Pipedrive declined: no sentinel
		{"200 HTML", 200, replyRaw(200, "text/html", cdnPage), pipedrive.ErrOutcomeUnknown},
	}
	replies := make([]http.HandlerFunc, 0, len(cases)+1)
	for _, tc := range cases {
		replies = append(replies, tc.reply)
	}
	api := newFakeAPI(t, inTurn(append(replies, benchReply)...))
	c := newClient(t, api.baseURL())

	for i, tc := range cases {
		_, err := connCall(t.Context(), c, i)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr, tc.name)
		assert.Equal(t, tc.status, apiErr.StatusCode, tc.name)
		if tc.want != nil {
			assert.ErrorIs(t, err, tc.want, tc.name)
		}
		assert.Equal(t, int64(1), api.connections(), "%s came on a new connection: the response before it was not read to the end", tc.name)
	}
	f, err := connCall(t.Context(), c, len(cases))
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(len(cases)+1), api.count(), "each call should be sent exactly once")
	assert.Equal(t, int64(1), api.connections(), "error responses should be read to the end so the connection stays reusable")
}

func TestRetriedRateLimitKeepsTheConnection(t *testing.T) {
	t.Parallel()
	// With retries on, the 429 body is drained by the transport before the retry.
	api := newFakeAPI(t, inTurn(
		replyJSON(429, `{"success":false,"error":"Request over limit","data":null}`, "Retry-After", "0"),
		benchReply,
	))
	c := newClient(t, api.baseURL(), retries)
	f, err := connCall(t.Context(), c, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(2), api.count())
	assert.Equal(t, int64(1), api.connections())
}

// Go's default transport keeps two idle connections per host: when 16 calls finish
// together, it closes 14 of their connections and the next 16 calls dial 14 anew. This
// test makes that happen on every round: the server answers only once 16 requests are in
// flight, and each goroutine waits for the other 15 before its next call, so all 16
// connections are idle at the same moment. The default client must keep them all: with
// two kept, 10 rounds would open 16 + 9*14 connections.
func TestDefaultClientKeepsConnectionsForConcurrentCalls(t *testing.T) {
	t.Parallel()
	const goroutines, rounds = 16, 10
	inFlight := &connRounds{n: goroutines}
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		inFlight.wait(r.Context())
		benchReply(w, r)
	})
	// The default HTTP client, pointed at the server. Pacing is off (newClient's default):
	// before any answer it sends one request at a time, and this server answers none
	// until 16 are in flight.
	c := newClient(t, api.baseURL())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    error
		allIdle = &connRounds{n: goroutines}
	)
	for g := range goroutines {
		wg.Go(func() {
			for round := range rounds {
				if _, err := connCall(ctx, c, round*goroutines+g); err != nil {
					mu.Lock()
					errs = errors.Join(errs, err)
					mu.Unlock()
					cancel() // release everyone held in a barrier
					return
				}
				allIdle.wait(ctx)
			}
		})
	}
	wg.Wait()
	require.NoError(t, errs)
	assert.Equal(t, int64(goroutines*rounds), api.count())
	assert.LessOrEqual(t, api.connections(), int64(20),
		"the default client should keep enough idle connections per host for 16 goroutines")
}

// CloseIdleConnections closes the keep-alive connections of the client's own transport,
// so the next call opens a new one; a caller's http.Client is left alone.
func TestCloseIdleConnections(t *testing.T) {
	t.Parallel()
	t.Run("own transport", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, benchReply)
		c := newClient(t, api.baseURL())
		for i := range 2 {
			_, err := connCall(t.Context(), c, i)
			require.NoError(t, err)
		}
		require.Equal(t, int64(1), api.connections(), "kept alive between calls")
		c.CloseIdleConnections()
		_, err := connCall(t.Context(), c, 2)
		require.NoError(t, err)
		assert.Equal(t, int64(2), api.connections(), "the idle connection was closed")
	})
	t.Run("caller's client", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, benchReply)
		hc := &http.Client{Transport: ownTransport(t)}
		c := newClient(t, api.baseURL(), pipedrive.WithHTTPClient(hc))
		_, err := connCall(t.Context(), c, 0)
		require.NoError(t, err)
		c.CloseIdleConnections()
		_, err = connCall(t.Context(), c, 1)
		require.NoError(t, err)
		assert.Equal(t, int64(1), api.connections(), "the caller's connections are the caller's")
	})
}
