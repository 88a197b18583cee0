package pipedrive_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// connToken is the API token of the connection tests.
const connToken = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

// connReply is one scripted answer of connServer.
type connReply struct {
	status      int
	contentType string
	body        string
	chunked     bool   // send without Content-Length, as CDNs and proxies often do
	retryAfter  string // Retry-After header, if any
}

// connCounts is what a connServer saw.
type connCounts struct {
	conns    atomic.Int64 // TCP connections accepted
	requests atomic.Int64
}

// connServer starts a loopback server that counts the TCP connections it accepts and
// answers request n with replies[n] (the last one repeats; none means benchBody). hold,
// if not nil, runs before each answer.
func connServer(t *testing.T, hold func(*http.Request), replies ...connReply) (*httptest.Server, *connCounts) {
	t.Helper()
	var counts connCounts
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hold != nil {
			hold(r)
		}
		n := int(counts.requests.Add(1)) - 1
		rep := connReply{status: http.StatusOK, contentType: "application/json", body: benchBody}
		if len(replies) > 0 {
			rep = replies[min(n, len(replies)-1)]
		}
		if rep.contentType != "" {
			w.Header().Set("Content-Type", rep.contentType)
		}
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		if !rep.chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
		}
		w.WriteHeader(rep.status)
		if rep.chunked {
			w.(http.Flusher).Flush() // headers go out now, so the body must be chunked
		}
		_, _ = io.WriteString(w, rep.body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			counts.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &counts
}

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

// connClient is a client with the default HTTP client (no WithHTTPClient), as most users
// build it.
func connClient(t *testing.T, srv *httptest.Server, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	c, err := pipedrive.NewClient(append([]pipedrive.Option{
		pipedrive.WithAPIToken(connToken),
		pipedrive.WithBaseURL(srv.URL + "/api/v1"),
	}, opts...)...)
	require.NoError(t, err)
	return c
}

// connCall makes call i: creates and links alternate, so both operations are covered.
func connCall(ctx context.Context, c *pipedrive.Client, i int) (*pipedrive.RemoteFile, error) {
	if i%2 == 0 {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal " + strconv.Itoa(i), Item: pipedrive.Deal(int64(i + 1))})
	}
	return c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", Item: pipedrive.Person(int64(i + 1))})
}

func TestSequentialCallsShareOneConnection(t *testing.T) {
	srv, counts := connServer(t, nil)
	c := connClient(t, srv)
	for i := range 200 {
		f, err := connCall(t.Context(), c, i)
		require.NoError(t, err, "call %d", i)
		require.Equal(t, int64(7195), f.ID)
	}
	assert.Equal(t, int64(200), counts.requests.Load())
	assert.Equal(t, int64(1), counts.conns.Load(), "200 sequential calls should reuse one keep-alive connection")
}

func TestErrorResponsesLeaveTheConnectionReusable(t *testing.T) {
	const errJSON = `{"success":false,"error":"Item not found","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}`
	cdnPage := "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>" +
		strings.Repeat("<p>Sorry, you have been blocked. You are unable to access pipedrive.com.</p>\n", 2000) + "</body></html>" // ~150 KiB
	cases := []struct {
		name  string
		reply connReply
		want  error // the sentinel the error must match; nil for statuses without one
	}{
		{"400 JSON", connReply{status: 400, contentType: "application/json", body: errJSON}, nil},
		{"401 JSON", connReply{status: 401, contentType: "application/json", body: errJSON}, pipedrive.ErrUnauthorized},
		{"404 JSON", connReply{status: 404, contentType: "application/json", body: errJSON}, pipedrive.ErrNotFound},
		{"404 JSON chunked", connReply{status: 404, contentType: "application/json", body: errJSON, chunked: true}, pipedrive.ErrNotFound},
		{"422 JSON", connReply{status: 422, contentType: "application/json", body: errJSON}, nil},
		{"429 JSON, retries off", connReply{status: 429, contentType: "application/json", body: errJSON, retryAfter: "2"}, pipedrive.ErrRateLimited},
		{"500 JSON", connReply{status: 500, contentType: "application/json", body: errJSON}, pipedrive.ErrServer},
		{"502 HTML from a proxy", connReply{status: 502, contentType: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}, pipedrive.ErrServer},
		{"503 empty body", connReply{status: 503}, pipedrive.ErrServer},
		{"403 HTML from the CDN", connReply{status: 403, contentType: "text/html; charset=UTF-8", body: cdnPage}, pipedrive.ErrForbidden},
		{"403 HTML from the CDN, chunked", connReply{status: 403, contentType: "text/html; charset=UTF-8", body: cdnPage, chunked: true}, pipedrive.ErrForbidden},
		{"200 success false", connReply{status: 200, contentType: "application/json", body: errJSON}, nil}, // Pipedrive declined: no sentinel
		{"200 HTML", connReply{status: 200, contentType: "text/html", body: cdnPage}, pipedrive.ErrOutcomeUnknown},
	}
	replies := make([]connReply, 0, len(cases)+1)
	for _, tc := range cases {
		replies = append(replies, tc.reply)
	}
	replies = append(replies, connReply{status: 200, contentType: "application/json", body: benchBody})
	srv, counts := connServer(t, nil, replies...)
	c := connClient(t, srv, pipedrive.WithRetry(pipedrive.NoRetry))

	for i, tc := range cases {
		_, err := connCall(t.Context(), c, i)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr, tc.name)
		assert.Equal(t, tc.reply.status, apiErr.StatusCode, tc.name)
		if tc.want != nil {
			assert.ErrorIs(t, err, tc.want, tc.name)
		}
		assert.Equal(t, int64(1), counts.conns.Load(), "%s came on a new connection: the response before it was not read to the end", tc.name)
	}
	f, err := connCall(t.Context(), c, len(cases))
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(len(cases)+1), counts.requests.Load(), "each call should be sent exactly once")
	assert.Equal(t, int64(1), counts.conns.Load(), "error responses should be read to the end so the connection stays reusable")
}

func TestRetriedRateLimitKeepsTheConnection(t *testing.T) {
	// With retries on, the 429 body is drained by the transport before the retry.
	srv, counts := connServer(t, nil,
		connReply{status: 429, contentType: "application/json", body: `{"success":false,"error":"Request over limit","data":null}`, retryAfter: "0"},
		connReply{status: 200, contentType: "application/json", body: benchBody},
	)
	// Retry-After: 0 falls back to the backoff; keep it at a millisecond.
	c := connClient(t, srv, pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond}))
	f, err := connCall(t.Context(), c, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(2), counts.requests.Load())
	assert.Equal(t, int64(1), counts.conns.Load())
}

// Go's default transport keeps two idle connections per host: when 16 calls finish
// together, it closes 14 of their connections and the next 16 calls dial 14 anew. This
// test makes that happen on every round: the server answers only once 16 requests are in
// flight, and each goroutine waits for the other 15 before its next call, so all 16
// connections are idle at the same moment. The default client must keep them all.
func TestDefaultClientKeepsConnectionsForConcurrentCalls(t *testing.T) {
	const goroutines, rounds = 16, 125 // 2,000 calls
	inFlight := &connRounds{n: goroutines}
	srv, counts := connServer(t, func(r *http.Request) { inFlight.wait(r.Context()) })
	// The default HTTP client, pointed at the server. Pacing is off: before any answer it
	// sends one request at a time, and this server answers none until 16 are in flight.
	c := connClient(t, srv, pipedrive.WithRetry(pipedrive.NoRetry))
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
	assert.Equal(t, int64(goroutines*rounds), counts.requests.Load())
	assert.LessOrEqual(t, counts.conns.Load(), int64(20),
		"the default client should keep enough idle connections per host for 16 goroutines")
}

// CloseIdleConnections closes the keep-alive connections of the client's own transport,
// so the next call opens a new one; a caller's http.Client is left alone.
func TestCloseIdleConnections(t *testing.T) {
	t.Run("own transport", func(t *testing.T) {
		srv, counts := connServer(t, nil)
		c := connClient(t, srv)
		for i := range 2 {
			_, err := connCall(t.Context(), c, i)
			require.NoError(t, err)
		}
		require.Equal(t, int64(1), counts.conns.Load(), "kept alive between calls")
		c.CloseIdleConnections()
		_, err := connCall(t.Context(), c, 2)
		require.NoError(t, err)
		assert.Equal(t, int64(2), counts.conns.Load(), "the idle connection was closed")
	})
	t.Run("caller's client", func(t *testing.T) {
		srv, counts := connServer(t, nil)
		hc := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(hc.CloseIdleConnections)
		c := connClient(t, srv, pipedrive.WithHTTPClient(hc))
		_, err := connCall(t.Context(), c, 0)
		require.NoError(t, err)
		c.CloseIdleConnections()
		_, err = connCall(t.Context(), c, 1)
		require.NoError(t, err)
		assert.Equal(t, int64(1), counts.conns.Load(), "the caller's connections are the caller's")
	})
}
