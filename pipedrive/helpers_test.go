package pipedrive_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// testToken looks like a real Pipedrive API token (40 hex digits), so a search for it in
// error text means what it says.
const testToken = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"

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

// fakeAPI is an httptest server that records every request and answers with respond.
type fakeAPI struct {
	srv     *httptest.Server
	hits    atomic.Int64
	mu      sync.Mutex
	reqs    []capturedRequest
	respond http.HandlerFunc
}

// newFakeAPI starts a loopback server that records requests and answers with respond;
// it is closed when the test ends.
func newFakeAPI(t testing.TB, respond http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
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

// replyRaw answers status with body of the given content type ("" sends none).
func replyRaw(status int, contentType, body string, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Set(headerPairs[i], headerPairs[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newTokenClient returns a client for f with the x-api-token credential and retries off,
// so every call is exactly one request; opts are applied after those.
func newTokenClient(t testing.TB, f *fakeAPI, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	all := append([]pipedrive.Option{
		pipedrive.WithBaseURL(f.baseURL()),
		pipedrive.WithAPIToken(testToken),
		pipedrive.WithRetry(pipedrive.NoRetry),
	}, opts...)
	c, err := pipedrive.NewClient(all...)
	require.NoError(t, err)
	return c
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
	answer := minimalSuccessJSON
	if req.Method == http.MethodGet {
		answer = emptyPageJSON
	}
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

// withOAuthToken authenticates with token as a fixed OAuth access token, for tests that
// run in every auth mode.
func withOAuthToken(token string) pipedrive.Option {
	return pipedrive.WithTokenSource(staticOAuth(token, ""))
}
