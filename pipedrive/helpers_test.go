package pipedrive_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// testToken is the only token the tests use, in every auth mode, except where a test is
// about a token's characters (export_test.go defines it for the internal tests too).
const testToken = pipedrive.TestToken

// testAPIPath is the non-empty base path the fake API serves under, as Pipedrive's
// company domains do (https://acme.pipedrive.com/api/v1).
const testAPIPath = "/api/v1"

// wantUserAgent is the library's own User-Agent product.
const wantUserAgent = "pipedrive-remote-files-go/" + pipedrive.Version

// capturedRequest is what the fake API received: enough to assert the exact wire form.
type capturedRequest struct {
	Method        string
	Path          string // the escaped path, as sent
	RawQuery      string
	Header        http.Header
	ContentLength int64
	Body          []byte
}

// fakeAPI is the one raw server of the wire-level tests: a loopback httptest server that
// records every request (body read in full first) and the connections it accepted, and
// answers with respond. Tests that need a Pipedrive that keeps state use
// pipedrivetest.Server instead.
type fakeAPI struct {
	srv     *httptest.Server
	hits    atomic.Int64
	conns   atomic.Int64
	mu      sync.Mutex
	reqs    []capturedRequest
	respond http.HandlerFunc
}

// newFakeAPI starts a fakeAPI answering with respond; it is closed when the test ends.
func newFakeAPI(t testing.TB, respond http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{respond: respond}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, capturedRequest{
		Method:        r.Method,
		Path:          r.URL.EscapedPath(),
		RawQuery:      r.URL.RawQuery,
		Header:        r.Header.Clone(),
		ContentLength: r.ContentLength,
		Body:          body,
	})
	f.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body)) // respond may read it too
	f.respond(w, r)
}

// baseURL is the URL to pass to WithBaseURL: the server plus testAPIPath.
func (f *fakeAPI) baseURL() string { return f.srv.URL + testAPIPath }

// count is the number of requests that reached the server.
func (f *fakeAPI) count() int64 { return f.hits.Load() }

// connections is the number of TCP connections the server accepted.
func (f *fakeAPI) connections() int64 { return f.conns.Load() }

// requests returns a copy of everything received so far.
func (f *fakeAPI) requests() []capturedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]capturedRequest(nil), f.reqs...)
}

// onlyRequest returns the single request the server received, failing otherwise.
func (f *fakeAPI) onlyRequest(t testing.TB) capturedRequest {
	t.Helper()
	reqs := f.requests()
	require.Len(t, reqs, 1, "requests received")
	return reqs[0]
}

// replyJSON answers status with a JSON body and optional extra header pairs.
func replyJSON(status int, body string, headerPairs ...string) http.HandlerFunc {
	return replyRaw(status, "application/json", body, headerPairs...)
}

// replyRaw answers status with body of the given content type ("" sends none) and a
// Content-Length, as Pipedrive does.
func replyRaw(status int, contentType, body string, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Set(headerPairs[i], headerPairs[i+1])
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// replyChunked answers like replyRaw but without a Content-Length, as CDNs and proxies
// often do: the headers go out first, so the body is chunked.
func replyChunked(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, body)
	}
}

// inTurn answers the n-th request with the n-th handler; the last one repeats.
func inTurn(handlers ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		handlers[min(int(n.Add(1))-1, len(handlers)-1)](w, r)
	}
}

// hijack hands the raw connection to fn, for answers no http.ResponseWriter can give
// (a reset, a body cut short, bytes that are not HTTP).
func hijack(fn func(net.Conn, *bufio.ReadWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		fn(conn, rw)
	}
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	hijack(func(c net.Conn, _ *bufio.ReadWriter) { _ = c.Close() })(w, r)
}

// tokenMode is one of the three ways a token travels: API token in the header or the
// query, and OAuth bearer.
type tokenMode struct {
	name string
	opt  func(token string) pipedrive.Option
	kind string // how a printed Client names it
}

// tokenModes are every auth mode, for the tests that must hold in each (the query mode
// puts the token in the URL that Go's errors print).
var tokenModes = []tokenMode{
	{"header", pipedrive.WithAPIToken, "x-api-token header"},
	{"query", pipedrive.WithAPITokenInQuery, "api_token query parameter"},
	{"oauth", withOAuthToken, "OAuth bearer token"},
}

// withOAuthToken authenticates with token as a fixed OAuth access token.
func withOAuthToken(token string) pipedrive.Option {
	return pipedrive.WithTokenSource(staticOAuth(token, ""))
}

// staticOAuth returns a token source for a fixed access token, with api_domain when
// domain is not empty.
func staticOAuth(access, domain string) oauth2.TokenSource {
	tok := &oauth2.Token{AccessToken: access, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	if domain != "" {
		tok = tok.WithExtra(map[string]any{"api_domain": domain})
	}
	return oauth2.StaticTokenSource(tok)
}

// newClientWith is the one client builder: a client authenticated by cred for base (""
// for the default base URL), with retries off (so every call is exactly one request) and
// a fake clock (so nothing ever sleeps); opts are applied after those and may replace
// them, e.g. retries, or WithClock(clk) to read the waits.
func newClientWith(t testing.TB, cred pipedrive.Option, base string, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	all := []pipedrive.Option{cred, pipedrive.WithRetry(pipedrive.NoRetry), pipedrive.WithClock(newFakeClock())}
	if base != "" {
		all = append(all, pipedrive.WithBaseURL(base))
	}
	c, err := pipedrive.NewClient(append(all, opts...)...)
	require.NoError(t, err)
	return c
}

// client is newClientWith testToken sent the mode's way.
func (m tokenMode) client(t testing.TB, base string, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	return newClientWith(t, m.opt(testToken), base, opts...)
}

// newClient is newClientWith testToken in the x-api-token header.
func newClient(t testing.TB, base string, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	return newClientWith(t, pipedrive.WithAPIToken(testToken), base, opts...)
}

// retries turns the default retry policy (and pacing) back on.
var retries = pipedrive.WithRetry(pipedrive.DefaultRetryPolicy())

// newFakeClock returns a clock that records the waits the client asks for and advances
// time instead of sleeping.
func newFakeClock() *pipedrivetest.Clock {
	return pipedrivetest.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
}

// debugLog logs every attempt to buf.
func debugLog(buf *bytes.Buffer) pipedrive.Option {
	return pipedrive.WithLogger(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// errRefused is what dialing a port without a listener returns.
var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// dialing returns an HTTP client whose n-th dial (1-based) returns fail(n), or connects
// when that is nil, and counts the dials: the way to test refused connections and DNS
// failures without assuming that some port refuses.
func dialing(t testing.TB, fail func(n int64) error) (*http.Client, *atomic.Int64) {
	var dials atomic.Int64
	tr := ownTransport(t)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := fail(dials.Add(1)); err != nil {
			return nil, err
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}, &dials
}

// losingAnswers returns an HTTP client that sends each of the first n requests and then,
// instead of its answer, returns a timeout: what a client whose deadline fires after the
// server received the request sees, without waiting for any deadline.
func losingAnswers(t testing.TB, n int64) *http.Client {
	return &http.Client{Transport: &answerLoser{next: ownTransport(t), n: n}}
}

// ownTransport is a transport of the test's own, whose connections close when it ends.
func ownTransport(t testing.TB) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// answerLoser is losingAnswers' transport: next sends, and the first n answers are lost.
type answerLoser struct {
	next http.RoundTripper
	n    int64
	sent atomic.Int64
}

func (a *answerLoser) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	if err != nil || a.sent.Add(1) > a.n {
		return resp, err
	}
	_ = resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

// createAndLink makes one valid call of each operation; both must succeed.
func createAndLink(t *testing.T, c *pipedrive.Client) {
	t.Helper()
	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	require.NoError(t, err)
	_, err = c.Files.LinkRemote(t.Context(), validLink())
	require.NoError(t, err)
}

// createDoc creates validCreate's Google Doc.
func createDoc(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
	return c.Files.CreateRemote(ctx, validCreate())
}

// validCreate is a request that passes validation.
func validCreate() pipedrive.CreateRemoteFileRequest {
	return pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal for John Doe", Item: pipedrive.Deal(12)}
}

// validLink is a request that passes validation.
func validLink() pipedrive.LinkRemoteFileRequest {
	return pipedrive.LinkRemoteFileRequest{RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", Item: pipedrive.Person(5)}
}

// minimalSuccessJSON is the smallest body the client accepts as a success.
const minimalSuccessJSON = `{"success":true,"data":{"id":7195,"name":"Proposal for John Doe","add_time":"2020-02-21 11:52:28","update_time":"2020-02-21 11:52:24"}}`

// rateLimited is Pipedrive's 429 body.
const rateLimited = `{"success":false,"error":"Request over limit","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}`

// upstreamCreateExampleJSON is the example response of POST /files/remote in Pipedrive's
// published spec (../shared/reference), verbatim, including its unknown keys (log_id,
// file_type) and remote_location "googledocs".
const upstreamCreateExampleJSON = `{
  "success": true,
  "data": {
    "id": 7195, "user_id": 456, "deal_id": 36, "person_id": 1, "org_id": 15, "product_id": 1,
    "activity_id": 1, "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec", "log_id": null,
    "add_time": "2020-02-21 11:52:28", "update_time": "2020-02-21 11:52:24",
    "file_name": "", "file_type": "gdoc", "file_size": 0, "active_flag": true, "inline_flag": false,
    "remote_location": "googledocs", "remote_id": "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c",
    "cid": "", "s3_bucket": "", "mail_message_id": "", "mail_template_id": "",
    "deal_name": "test deal", "person_name": "", "org_name": "test org", "product_name": "",
    "lead_name": "Test lead name 1", "url": "https://app.pipedrive.com/api/v1/files/7195/download",
    "name": "Test title for remote file", "description": ""
  }
}`

// upstreamLinkExampleJSON is the example response of POST /files/remoteLink in
// Pipedrive's published spec, verbatim.
const upstreamLinkExampleJSON = `{
  "success": true,
  "data": {
    "id": 7196, "user_id": 456, "deal_id": 35, "person_id": 1, "org_id": 1, "product_id": 1,
    "activity_id": 1, "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec", "log_id": null,
    "add_time": "2020-02-21 12:02:37", "update_time": "2020-02-21 12:02:37",
    "file_name": "Test title to remote file", "file_type": "gdoc", "file_size": 0,
    "active_flag": true, "inline_flag": false, "remote_location": "googledocs",
    "remote_id": "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", "cid": "", "s3_bucket": "",
    "mail_message_id": "", "mail_template_id": "", "deal_name": "Test deal name",
    "person_name": "Test person name", "org_name": "", "product_name": "",
    "lead_name": "Test lead name", "url": "https://app.pipedrive.com/api/v1/files/7196/download",
    "name": "Test title for remote file", "description": ""
  }
}`

// errorEnvelope is Pipedrive's failure body with the given texts.
func errorEnvelope(msg, info string) string {
	return `{"success":false,"error":` + jsonString(msg) + `,"error_info":` + jsonString(info) + `,"data":null,"additional_data":null}`
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return string(b)
}

// emptyPageJSON is a list answer for an item without files.
const emptyPageJSON = `{"success":true,"data":null,"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`

// cannedAnswer is a success body for any request the client makes: an empty page for a
// list, file 7195 (minimalSuccessJSON) for a create, a link, a GET or PUT of one file, and
// its deletion for a DELETE.
func cannedAnswer(method, path string) string {
	oneFile := strings.Contains(path, "/files/") && !strings.HasSuffix(path, "/files/remote") && !strings.HasSuffix(path, "/files/remoteLink")
	switch {
	case method == http.MethodDelete:
		return `{"success":true,"data":{"id":7195}}`
	case method == http.MethodGet && !oneFile:
		return emptyPageJSON
	}
	return minimalSuccessJSON
}

// recordingTransport is an http.RoundTripper that never touches the network: it records
// each request URL and answers with a canned success (an empty page for a GET).
type recordingTransport struct {
	mu     sync.Mutex
	urls   []string
	reqs   []*http.Request // as the client sent them; Body already read
	bodies [][]byte        // each request's body
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	rt.mu.Lock()
	rt.urls = append(rt.urls, req.URL.String())
	rt.reqs = append(rt.reqs, req)
	rt.bodies = append(rt.bodies, body)
	rt.mu.Unlock()
	answer := cannedAnswer(req.Method, req.URL.Path)
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(answer)),
		ContentLength: int64(len(answer)),
		Request:       req,
	}, nil
}

// recordedURLs returns the URLs requested so far.
func (rt *recordingTransport) recordedURLs() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.urls...)
}

// allSentinels are the sentinels an error is checked against, so a test can assert both
// the one that must match and every one that must not.
var allSentinels = map[string]error{
	"ErrInvalidRequest":  pipedrive.ErrInvalidRequest,
	"ErrUnauthorized":    pipedrive.ErrUnauthorized,
	"ErrPaymentRequired": pipedrive.ErrPaymentRequired,
	"ErrForbidden":       pipedrive.ErrForbidden,
	"ErrNotFound":        pipedrive.ErrNotFound,
	"ErrRateLimited":     pipedrive.ErrRateLimited,
	"ErrServer":          pipedrive.ErrServer,
	"ErrOutcomeUnknown":  pipedrive.ErrOutcomeUnknown,
	"ErrNotCreated":      pipedrive.ErrNotCreated,
}

// requireSentinels asserts that err matches exactly the named sentinels of allSentinels.
func requireSentinels(t testing.TB, err error, want ...string) {
	t.Helper()
	wanted := map[string]bool{}
	for _, name := range want {
		_, known := allSentinels[name]
		require.True(t, known, "unknown sentinel %s", name)
		wanted[name] = true
	}
	for name, sentinel := range allSentinels {
		if wanted[name] {
			require.ErrorIs(t, err, sentinel, "%v should match %s", err, name)
		} else {
			require.NotErrorIs(t, err, sentinel, "%v should not match %s", err, name)
		}
	}
}
