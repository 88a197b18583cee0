package pipedrivetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// listPath and filePath match the concrete paths of templated routes, to find them.
var (
	listPath = regexp.MustCompile(`^/(deals|persons|organizations)/[^/]+/files$`)
	filePath = regexp.MustCompile(`^/files/[^/]+$`)
)

// conformance checks every response the fake sends against the spec, independently of
// the fake's own copy of it.
type conformance struct {
	t         testing.TB
	routes    map[string]*routers.Route // by method and path, e.g. "PUT /files/{id}"
	base      http.RoundTripper
	validated atomic.Int64
}

func newConformance(t testing.TB, base http.RoundTripper) *conformance {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	c := &conformance{t: t, routes: map[string]*routers.Route{}, base: base}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			c.routes[method+" "+path] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	// Every test that uses it must have validated something, or it proved nothing.
	t.Cleanup(func() {
		if !t.Failed() {
			require.Positive(t, c.validated.Load(), "no response was validated against the spec")
		}
	})
	return c
}

// RoundTrip sends req and validates the response against the operation's responses.
func (c *conformance) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.check(req, resp.StatusCode, resp.Header, body)
	return resp, nil
}

func (c *conformance) check(req *http.Request, status int, header http.Header, body []byte) {
	path := strings.TrimPrefix(req.URL.Path, pipedrivetest.BasePath)
	path = listPath.ReplaceAllString(path, "/$1/{id}/files")
	if filePath.MatchString(path) && path != "/files/remote" && path != "/files/remoteLink" {
		path = "/files/{id}"
	}
	route, ok := c.routes[req.Method+" "+path]
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if !ok { // a method the path does not allow: its 405 is checked as another method's error
			route, ok = c.routes[m+" "+path]
		}
	}
	if !assertTrue(c.t, ok, "no operation for %s", req.URL.Path) {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Errorf("%s %s answered %d %s, which the spec does not allow: %v", req.Method, req.URL.Path, status, body, err)
		return
	}
	c.validated.Add(1)
}

func assertTrue(t testing.TB, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

// client returns a client for srv whose responses are all validated against the spec.
func client(t testing.TB, srv *pipedrivetest.Server, opts ...pipedrive.Option) *pipedrive.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: newConformance(t, tr)}
	return srv.Client(append([]pipedrive.Option{pipedrive.WithHTTPClient(hc)}, opts...)...)
}

// post sends a raw request, bypassing the client's own checks, and validates the answer.
func post(t testing.TB, srv *pipedrivetest.Server, path, contentType, body string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return exchange(t, req)
}

// exchange sends req and validates the answer against the spec.
func exchange(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: newConformance(t, tr)}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// get sends a raw GET of path with query under the base path, authenticated, and
// validates the answer.
func get(t testing.TB, srv *pipedrivetest.Server, path, query string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path+"?"+query, nil)
	require.NoError(t, err)
	req.Header = tokenHeader(srv)
	status, _, body := exchange(t, req)
	return status, body
}

// tokenHeader authenticates a raw request.
func tokenHeader(srv *pipedrivetest.Server) http.Header {
	return http.Header{"X-Api-Token": {srv.Token()}}
}

// envelope is Pipedrive's failure body, exactly.
func envelope(status int, msg string) string {
	return `{"success":false,"error":` + quoteJSON(msg) + `,"error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","errorCode":` + strconv.Itoa(status) + `,"data":null,"additional_data":null}`
}

func quoteJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
