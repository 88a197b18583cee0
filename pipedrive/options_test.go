package pipedrive_test

import (
	"net/http"
	"net/http/cookiejar"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestNewClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tok := pipedrive.WithAPIToken(testToken)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a"})
	tests := []struct {
		name string
		opts []pipedrive.Option
		want string // part of the error text
	}{
		{"no credentials", nil, "no credentials"},
		{"no credentials, other options", []pipedrive.Option{pipedrive.WithCompanyDomain("acme")}, "no credentials"},
		{"header and query token", []pipedrive.Option{tok, pipedrive.WithAPITokenInQuery(testToken)}, "more than one credential"},
		{"token and token source", []pipedrive.Option{tok, pipedrive.WithTokenSource(ts)}, "more than one credential"},
		{"token twice", []pipedrive.Option{tok, tok}, "more than one credential"},
		{"empty token", []pipedrive.Option{pipedrive.WithAPIToken("")}, "WithAPIToken"},
		{"blank token", []pipedrive.Option{pipedrive.WithAPIToken("   ")}, "WithAPIToken"},
		{"token with newline", []pipedrive.Option{pipedrive.WithAPIToken("abc\r\nX-Evil: 1")}, "WithAPIToken"},
		{"empty query token", []pipedrive.Option{pipedrive.WithAPITokenInQuery("")}, "WithAPITokenInQuery"},
		{"query token with space", []pipedrive.Option{pipedrive.WithAPITokenInQuery("a b")}, "WithAPITokenInQuery"},
		{"nil token source", []pipedrive.Option{pipedrive.WithTokenSource(nil)}, "WithTokenSource"},
		{"company is a host name", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("acme.pipedrive.com")}, "not a DNS label"},
		{"company starts with hyphen", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("-x")}, "not a DNS label"},
		{"company ends with hyphen", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("x-")}, "not a DNS label"},
		{"company empty", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("")}, "not a DNS label"},
		{"company is a URL", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("https://acme.pipedrive.com")}, "not a DNS label"},
		{"company with underscore", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("a_b")}, "not a DNS label"},
		{"company too long", []pipedrive.Option{tok, pipedrive.WithCompanyDomain(strings.Repeat("a", 64))}, "not a DNS label"},
		{"base URL does not parse", []pipedrive.Option{tok, pipedrive.WithBaseURL("http://%zz/v1")}, "WithBaseURL"},
		{"base URL with bad port", []pipedrive.Option{tok, pipedrive.WithBaseURL("https://host:port/v1")}, "WithBaseURL"},
		{"base URL ftp", []pipedrive.Option{tok, pipedrive.WithBaseURL("ftp://api.pipedrive.com/v1")}, "not http or https"},
		{"base URL relative", []pipedrive.Option{tok, pipedrive.WithBaseURL("/api/v1")}, "WithBaseURL"},
		{"base URL without scheme", []pipedrive.Option{tok, pipedrive.WithBaseURL("api.pipedrive.com/v1")}, "WithBaseURL"},
		{"base URL empty", []pipedrive.Option{tok, pipedrive.WithBaseURL("")}, "WithBaseURL"},
		{"base URL with credentials", []pipedrive.Option{tok, pipedrive.WithBaseURL("https://u:p@api.pipedrive.com/v1")}, "credentials"},
		{"base URL with query", []pipedrive.Option{tok, pipedrive.WithBaseURL("https://api.pipedrive.com/v1?api_token=x")}, "query"},
		{"company and base URL", []pipedrive.Option{tok, pipedrive.WithCompanyDomain("acme"), pipedrive.WithBaseURL("https://api.pipedrive.com/v1")}, "both"},
		{"nil HTTP client", []pipedrive.Option{tok, pipedrive.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"empty user agent", []pipedrive.Option{tok, pipedrive.WithUserAgent("  ")}, "WithUserAgent"},
		{"user agent with newline", []pipedrive.Option{tok, pipedrive.WithUserAgent("app/1\r\nX-Evil: 1")}, "WithUserAgent"},
		{"negative retries", []pipedrive.Option{tok, pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: -1})}, "WithRetry"},
		{"nil logger", []pipedrive.Option{tok, pipedrive.WithLogger(nil)}, "WithLogger"},
		{"nil clock", []pipedrive.Option{tok, pipedrive.WithClock(nil)}, "WithClock"},
		{"nil option", []pipedrive.Option{tok, nil}, "nil option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := pipedrive.NewClient(tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "pipedrive: "), err.Error())
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestBaseURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []pipedrive.Option
		wantCreate string
		wantLink   string
	}{
		{"default", nil, "https://api.pipedrive.com/v1/files/remote", "https://api.pipedrive.com/v1/files/remoteLink"},
		{"company domain", []pipedrive.Option{pipedrive.WithCompanyDomain("acme")},
			"https://acme.pipedrive.com/api/v1/files/remote", "https://acme.pipedrive.com/api/v1/files/remoteLink"},
		{"company domain is lower-cased", []pipedrive.Option{pipedrive.WithCompanyDomain("My-Company2")},
			"https://my-company2.pipedrive.com/api/v1/files/remote", "https://my-company2.pipedrive.com/api/v1/files/remoteLink"},
		{"63-character label", []pipedrive.Option{pipedrive.WithCompanyDomain(strings.Repeat("a", 63))},
			"https://" + strings.Repeat("a", 63) + ".pipedrive.com/api/v1/files/remote", "https://" + strings.Repeat("a", 63) + ".pipedrive.com/api/v1/files/remoteLink"},
		{"base URL", []pipedrive.Option{pipedrive.WithBaseURL("https://eu.example.com/pd/api/v1/")},
			"https://eu.example.com/pd/api/v1/files/remote", "https://eu.example.com/pd/api/v1/files/remoteLink"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &recordingTransport{}
			c := newClient(t, "", append([]pipedrive.Option{pipedrive.WithHTTPClient(&http.Client{Transport: rt})}, tt.opts...)...)
			require.Empty(t, rt.recordedURLs(), "NewClient makes no request")

			createAndLink(t, c)
			assert.Equal(t, []string{tt.wantCreate, tt.wantLink}, rt.recordedURLs())
		})
	}
}

func TestCallerHTTPClientIsNotMutated(t *testing.T) {
	t.Parallel()
	rt := &recordingTransport{}
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Transport: rt, Timeout: 7 * time.Second, Jar: jar}
	before := *hc

	c := newClient(t, "", pipedrive.WithHTTPClient(hc))
	_, err = c.Files.CreateRemote(t.Context(), validCreate())
	require.NoError(t, err)

	assert.Len(t, rt.recordedURLs(), 1, "the caller's transport carries the request")
	assert.Nil(t, hc.CheckRedirect, "CheckRedirect nil stays nil")
	assert.Same(t, before.Transport.(*recordingTransport), hc.Transport.(*recordingTransport))
	assert.Equal(t, before.Timeout, hc.Timeout)
	assert.Equal(t, before.Jar, hc.Jar)
}

// A caller's own CheckRedirect is never consulted, and stays the caller's: no redirect
// is followed, to the same origin or another host (Go would replay the x-api-token header
// there). The 3xx is the answer.
func TestCallerCheckRedirect(t *testing.T) {
	t.Parallel()
	target := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	for _, tc := range []struct {
		name     string
		location func(api *fakeAPI) string
	}{
		{"same origin", func(api *fakeAPI) string { return api.srv.URL + "/moved" }},
		{"other host", func(*fakeAPI) string { return target.srv.URL + "/moved" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tc.location(api), http.StatusFound)
			})
			var calls atomic.Int64
			check := func(*http.Request, []*http.Request) error { calls.Add(1); return nil }
			hc := &http.Client{CheckRedirect: check}

			c := newClient(t, api.baseURL(), pipedrive.WithHTTPClient(hc))
			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusFound, apiErr.StatusCode)
			assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
			assert.Zero(t, calls.Load())
			assert.Equal(t, int64(1), api.count())
			assert.Zero(t, target.count())
			assert.Equal(t, reflect.ValueOf(check).Pointer(), reflect.ValueOf(hc.CheckRedirect).Pointer())
		})
	}
}

func TestOptionsAreIndependentOfOrder(t *testing.T) {
	t.Parallel()
	rt := &recordingTransport{}
	c, err := pipedrive.NewClient(
		pipedrive.WithCompanyDomain("acme"),
		pipedrive.WithUserAgent("app/2"),
		pipedrive.WithHTTPClient(&http.Client{Transport: rt}),
		pipedrive.WithAPIToken(testToken),
	)
	require.NoError(t, err)
	_, err = c.Files.LinkRemote(t.Context(), validLink())
	require.NoError(t, err)
	assert.Equal(t, []string{"https://acme.pipedrive.com/api/v1/files/remoteLink"}, rt.recordedURLs())
	rt.mu.Lock()
	defer rt.mu.Unlock()
	assert.Equal(t, "app/2 "+wantUserAgent, rt.reqs[0].Header.Get("User-Agent"))
	assert.Equal(t, testToken, rt.reqs[0].Header.Get("X-Api-Token"))
}
