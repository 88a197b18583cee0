package pipedrive_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// fileOperation calls one of the two endpoints with a valid request.
type fileOperation struct {
	name string // as in APIError.Operation
	call func(context.Context, *pipedrive.Client) (*pipedrive.RemoteFile, error)
}

var bothOperations = []fileOperation{
	{"POST /files/remote", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, validCreate())
	}},
	{"POST /files/remoteLink", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.LinkRemote(ctx, validLink())
	}},
}

// statusSentinels lists every documented error status with the sentinels it must match
// (and so, by requireSentinels, the ones it must not).
var statusSentinels = []struct {
	status int
	want   []string
}{
	{400, nil},
	{401, []string{"ErrUnauthorized"}},
	{402, []string{"ErrPaymentRequired"}},
	{403, []string{"ErrForbidden"}},
	{404, []string{"ErrNotFound"}},
	{410, nil},
	{415, nil},
	{422, nil},
	{429, []string{"ErrRateLimited"}},
	{500, []string{"ErrServer", "ErrOutcomeUnknown"}},
	{502, []string{"ErrServer", "ErrOutcomeUnknown"}},
	{503, []string{"ErrServer", "ErrOutcomeUnknown"}},
	{504, []string{"ErrServer", "ErrOutcomeUnknown"}},
	// Redirects are not followed; after a POST a 3xx usually means the server acted.
	{301, []string{"ErrOutcomeUnknown"}},
	{303, []string{"ErrOutcomeUnknown"}},
	{307, []string{"ErrOutcomeUnknown"}},
	// Statuses HTTP does not define: nothing says the server did not act.
	{600, []string{"ErrOutcomeUnknown"}},
	{999, []string{"ErrOutcomeUnknown"}},
}

const pipedriveErrorInfo = "Please check developers.pipedrive.com for more information about Pipedrive API."

func TestEveryErrorStatusIsAnAPIErrorWithItsSentinel(t *testing.T) {
	t.Parallel()
	type bodyKind struct {
		name        string
		contentType string
		body        func(status int) string
		message     string // want APIError.Message
		info        string
		code        string
	}
	kinds := []bodyKind{
		{
			name: "json", contentType: "application/json",
			body: func(int) string {
				return errorEnvelope("Invalid input: file - This field was not expected.", pipedriveErrorInfo)
			},
			message: "Invalid input: file - This field was not expected.", info: pipedriveErrorInfo,
		},
		{
			name: "json with code", contentType: "application/json",
			body: func(int) string {
				return `{"success":false,"error":"Scope and URL mismatch","error_info":"` + pipedriveErrorInfo + `","data":null,"additional_data":null,"code":"feature_capping"}`
			},
			message: "Scope and URL mismatch", info: pipedriveErrorInfo, code: "feature_capping",
		},
		{
			name: "html", contentType: "text/html; charset=utf-8",
			body: func(status int) string {
				return fmt.Sprintf("<html>\n<head><title>%d %s</title></head>\n<body><center><h1>%d %s</h1></center><hr><center>cloudflare</center></body>\n</html>\n",
					status, http.StatusText(status), status, http.StatusText(status))
			},
		},
		{name: "empty", body: func(int) string { return "" }},
	}
	for _, op := range bothOperations {
		for _, st := range statusSentinels {
			for _, kind := range kinds {
				t.Run(fmt.Sprintf("%s/%d/%s", op.name, st.status, kind.name), func(t *testing.T) {
					t.Parallel()
					body := kind.body(st.status)
					api := newFakeAPI(t, replyRaw(st.status, kind.contentType, body, "X-Ratelimit-Reset", "2"))
					c := newClient(t, api.baseURL())

					f, err := op.call(t.Context(), c)
					require.Error(t, err)
					assert.Nil(t, f)
					assert.Equal(t, int64(1), api.count(), "sent exactly once")

					var apiErr *pipedrive.APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, st.status, apiErr.StatusCode)
					assert.Equal(t, op.name, apiErr.Operation)
					assert.Equal(t, kind.message, apiErr.Message)
					assert.Equal(t, kind.info, apiErr.Info)
					assert.Equal(t, kind.code, apiErr.Code)
					assert.Equal(t, body, string(apiErr.Body))
					requireSentinels(t, err, st.want...)

					head := strings.TrimSpace(fmt.Sprintf("pipedrive: %s: %d %s", op.name, st.status, http.StatusText(st.status)))
					switch {
					case kind.code != "":
						head += ": " + kind.message + " (code " + kind.code + ")"
					case kind.message != "":
						head += ": " + kind.message
					case body != "":
						// A snippet of the page, whitespace collapsed, cut at 120 characters.
						head += fmt.Sprintf(`: unexpected response body "<html> <head><title>%d %s</title></head> <body>`, st.status, http.StatusText(st.status))
					default:
						head += ": empty response body"
					}
					assert.True(t, strings.HasPrefix(err.Error(), head), "error %q should start with %q", err.Error(), head)
					if kind.name == "html" {
						assert.True(t, strings.HasSuffix(apiErr.Error(), `..."`), "long page is cut: %q", err.Error())
						head = apiErr.Error()
					}

					var rlErr *pipedrive.RateLimitError
					if st.status == http.StatusTooManyRequests {
						require.ErrorAs(t, err, &rlErr)
						assert.Equal(t, 2*time.Second, rlErr.RetryAfter)
						assert.Equal(t, head+" (retry after 2s)", err.Error())
					} else {
						assert.False(t, errors.As(err, &rlErr), "only a 429 is a *RateLimitError")
						assert.Equal(t, head, err.Error())
					}
				})
			}
		}
	}
}

func TestRateLimitErrorCarriesHeaders(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, errorEnvelope("Request over limit", pipedriveErrorInfo),
		"X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2",
		"X-Daily-Requests-Left", "9990", "Retry-After", "7"))
	c := newClient(t, api.baseURL())

	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	var rlErr *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rlErr)
	assert.Equal(t, 7*time.Second, rlErr.RetryAfter, "Retry-After wins over x-ratelimit-reset")
	assert.Equal(t, pipedrive.RateLimit{
		Limit: 20, Remaining: 0, Reset: 2 * time.Second, DailyRequestsLeft: 9990,
		DailyTokenLimit: -1, DailyTokenRemaining: -1, Known: true,
	}, rlErr.RateLimit)
	assert.Equal(t, "Request over limit", rlErr.Message)
	requireSentinels(t, err, "ErrRateLimited")
	assert.Equal(t, int64(1), api.count(), "NoRetry: the 429 is returned, not retried")
}

func TestUnsuccessfulTwoHundredIsAnAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		message     string // exact, or a prefix when prefix is set
		prefix      bool
		declined    bool // the body says "success": false: Pipedrive did nothing
	}{
		{
			name: "success false", contentType: "application/json",
			body:    errorEnvelope("Google account is not connected", pipedriveErrorInfo),
			message: "Google account is not connected", declined: true,
		},
		{
			name: "success false without error text", contentType: "application/json",
			body:    `{"success":false,"data":null}`,
			message: `unexpected response: "success" is not true`, declined: true,
		},
		{
			name: "success missing", contentType: "application/json",
			body:    `{"data":{"id":1}}`,
			message: `unexpected response: "success" is not true`,
		},
		{
			name: "data null", contentType: "application/json",
			body:    `{"success":true,"data":null}`,
			message: `unexpected response: "data" is null`,
		},
		{
			name: "data missing", contentType: "application/json",
			body:    `{"success":true}`,
			message: `unexpected response: "data" is null`,
		},
		{
			name: "data without id", contentType: "application/json",
			body:    `{"success":true,"data":{"name":"Proposal"}}`,
			message: `unexpected response: "data.id" is missing, not a positive integer`,
		},
		{
			name: "id zero", contentType: "application/json",
			body:    `{"success":true,"data":{"id":0}}`,
			message: `unexpected response: "data.id" is 0, not a positive integer`,
		},
		{
			name: "html", contentType: "text/html",
			body:    "<!DOCTYPE html><html><body>Maintenance</body></html>",
			message: "unexpected response: not a JSON object", prefix: true,
		},
		{
			name:    "empty body",
			body:    "",
			message: "unexpected response: not a JSON object", prefix: true,
		},
		{
			name: "json array", contentType: "application/json",
			body:    `[]`,
			message: "unexpected response: ", prefix: true,
		},
		{
			name: "id of the wrong JSON type", contentType: "application/json",
			body:    `{"success":true,"data":{"id":"7195"}}`,
			message: `unexpected response: "data.id" is "7195", not a positive integer`,
		},
	}
	for _, op := range bothOperations {
		for _, tt := range tests {
			t.Run(op.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, replyRaw(200, tt.contentType, tt.body))
				c := newClient(t, api.baseURL())

				f, err := op.call(t.Context(), c)
				assert.Nil(t, f)
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 200, apiErr.StatusCode)
				assert.Equal(t, op.name, apiErr.Operation)
				assert.Equal(t, tt.body, string(apiErr.Body))
				if tt.prefix {
					assert.True(t, strings.HasPrefix(apiErr.Message, tt.message), "message %q", apiErr.Message)
				} else {
					assert.Equal(t, tt.message, apiErr.Message)
				}
				if tt.declined {
					// Pipedrive said it did not do it: no sentinel, not even outcome unknown.
					requireSentinels(t, err)
				} else {
					// The server answered 2xx, so it may have acted: outcome unknown, nothing else.
					requireSentinels(t, err, "ErrOutcomeUnknown")
				}
				assert.Equal(t, int64(1), api.count())
			})
		}
	}
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	t.Parallel()
	page := "<html><body>" + strings.Repeat("bad gateway ", 200_000) + "</body></html>" // ~2.4 MB
	api := newFakeAPI(t, replyRaw(502, "text/html", page))
	c := newClient(t, api.baseURL())

	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Len(t, apiErr.Body, 64<<10, "APIError.Body keeps at most 64 KiB")
	assert.Equal(t, page[:64<<10], string(apiErr.Body))
	assert.Less(t, len(err.Error()), 300, "the message quotes only a snippet of the page")
	requireSentinels(t, err, "ErrServer", "ErrOutcomeUnknown")
}

// A zero APIError (as a caller might build in a test double) still prints sensibly.
func TestAPIErrorMessageForms(t *testing.T) {
	t.Parallel()
	e := &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: 404, Message: "Deal not found"}
	assert.Equal(t, "pipedrive: POST /files/remote: 404 Not Found: Deal not found", e.Error())
	e = &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: 599}
	assert.Equal(t, "pipedrive: POST /files/remote: 599: empty response body", e.Error())
	requireSentinels(t, e, "ErrServer", "ErrOutcomeUnknown")
}

// A RateLimitError a caller builds without an APIError (in a test double, say) neither
// panics nor loses its meaning.
func TestRateLimitErrorWithoutAPIError(t *testing.T) {
	t.Parallel()
	var err error = &pipedrive.RateLimitError{RetryAfter: 2 * time.Second}
	assert.Equal(t, "pipedrive: rate limited (retry after 2s)", err.Error())
	requireSentinels(t, err, "ErrRateLimited")
	assert.Nil(t, errors.Unwrap(err))
	var apiErr *pipedrive.APIError
	assert.False(t, errors.As(err, &apiErr))
	wrapped := fmt.Errorf("sync: %w", err)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, wrapped, &rl)
	assert.Equal(t, 2*time.Second, rl.RetryAfter)
}
