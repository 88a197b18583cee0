package pipedrive

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzResponse feeds arbitrary statuses, headers, bodies and Content-Lengths to the code
// that turns a response into a file or an error: it must never panic, must return
// exactly one of the two, and must never put the token in the error.
func FuzzResponse(f *testing.F) {
	f.Add(200, "Content-Type: application/json\nX-Ratelimit-Remaining: 19", []byte(`{"success":true,"data":{"id":1,"add_time":"2020-02-21 11:52:28","file_size":null}}`), int64(-1))
	f.Add(429, "Retry-After: 2\nX-Ratelimit-Reset: 1", []byte(`{"success":false,"error":"Request over limit"}`), int64(-1))
	f.Add(429, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT", []byte{}, int64(0))
	f.Add(403, "Content-Type: text/html", []byte("<html><body>Access denied 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b</body></html>"), int64(57))
	f.Add(502, "", []byte("<html>502</html>"), int64(3))
	f.Add(200, "", []byte(`{"success":true,"data":[]}`), int64(100))
	f.Add(200, "X-Ratelimit-Limit: 1e99\nX-Ratelimit-Reset: -5", []byte(`{"success":true,"data":null}`), int64(-1))
	f.Add(201, "", []byte(`{"success":true,"data":{"id":"x"}}`), int64(-1))
	f.Fuzz(func(t *testing.T, status int, headers string, body []byte, contentLength int64) {
		if status < 100 || status > 999 {
			status = 100 + (status%900+900)%900
		}
		if contentLength < -1 || contentLength > 2*maxBodyBytes {
			contentLength = -1
		}
		c, err := NewClient(WithAPIToken(TestToken), WithBaseURL("https://acme.pipedrive.com/api/v1"), WithRetry(DefaultRetryPolicy()))
		if err != nil {
			t.Fatal(err)
		}
		h := parseHeaderLines(headers)
		resp := &http.Response{StatusCode: status, Header: h, ContentLength: contentLength, Body: io.NopCloser(bytes.NewReader(body))}

		now := time.Now()
		_ = parseRateLimit(h)
		_, _ = retryAfter(h, now)
		if wait, retry := c.transport.retryWait(false, resp, 1, now); retry && (wait < 0 || wait > c.transport.policy.MaxWait) {
			t.Fatalf("retry after %v outside [0, MaxWait]", wait)
		}

		file, err := result(c, opCreate, resp, fileAnswer)
		if (file == nil) == (err == nil) {
			t.Fatalf("want a file or an error, got %v and %v", file, err)
		}
		if err == nil {
			if status < 200 || status > 299 {
				t.Fatalf("status %d returned a file", status)
			}
			return
		}
		for tree := []error{err}; len(tree) > 0; tree = append(tree[1:], children(tree[0])...) {
			e := tree[0]
			if strings.Contains(e.Error(), TestToken) {
				t.Fatalf("token in the text of %T in the error tree: %v", e, e)
			}
			if ue, ok := e.(*url.Error); ok && strings.Contains(ue.URL, TestToken) {
				t.Fatalf("token in a *url.Error's URL: %v", ue.URL)
			}
			if ae, ok := e.(*APIError); ok && strings.Contains(ae.Message+ae.Info+ae.Code+string(ae.Body), TestToken) {
				t.Fatalf("token in an APIError field: %+v", ae)
			}
		}
		// The prefix appears once, unless the body itself (maybe JSON-escaped) says it.
		if !bytes.Contains(body, []byte("pipedrive")) && !bytes.Contains(body, []byte(`\`)) && strings.Count(err.Error(), "pipedrive: ") != 1 {
			t.Fatalf("the prefix does not appear exactly once: %v", err)
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			if apiErr.StatusCode != status {
				t.Fatalf("status %d reported as %d", status, apiErr.StatusCode)
			}
			if len(apiErr.Body) > maxErrorBody || bytes.Contains(apiErr.Body, []byte(TestToken)) {
				t.Fatalf("body kept in error is too long or holds the token")
			}
		} else if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("error is neither an APIError nor outcome-unknown: %v", err)
		}
	})
}

// parseHeaderLines reads "Key: value" lines, skipping malformed ones.
func parseHeaderLines(s string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && k != "" {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return h
}
