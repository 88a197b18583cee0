package pipedrive_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestAPITokenInQuery(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := tokenModes[1].client(t, api.baseURL())

	createAndLink(t, c)

	reqs := api.requests()
	require.Len(t, reqs, 2)
	for i, path := range []string{"/api/v1/files/remote", "/api/v1/files/remoteLink"} {
		assert.Equal(t, path, reqs[i].Path)
		assert.Equal(t, "api_token="+testToken, reqs[i].RawQuery)
		assert.Empty(t, reqs[i].Header.Values("X-Api-Token"), "the token travels once")
		assert.Empty(t, reqs[i].Header.Values("Authorization"))
		assert.NotContains(t, string(reqs[i].Body), testToken, "the token is not a form field")
	}
}

// A token with characters that need escaping (hence not testToken) still arrives intact.
func TestAPITokenInQueryIsEscaped(t *testing.T) {
	t.Parallel()
	const odd = "a+b/c=d&e%f-0123456789"
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClientWith(t, pipedrive.WithAPITokenInQuery(odd), api.baseURL())

	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	require.NoError(t, err)

	got := api.onlyRequest(t)
	q, err := url.ParseQuery(got.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"api_token": {odd}}, q)
}

// A redirect would carry x-api-token (or the query) to wherever it points; the client
// must not follow it.
func TestRedirectIsNotFollowedWithTheToken(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			elsewhere := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.srv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			})
			c := mode.client(t, api.baseURL())

			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
			assert.Equal(t, int64(1), api.count())
			assert.Zero(t, elsewhere.count(), "the token never reaches the redirect target")
			requireSentinels(t, err, "ErrOutcomeUnknown")
		})
	}
}

func TestOAuthBearerGoesToAPIDomain(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "/"} {
		t.Run("api_domain"+suffix, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-access-1", api.srv.URL+suffix)), "")

			createAndLink(t, c)

			reqs := api.requests()
			require.Len(t, reqs, 2)
			for i, path := range []string{"/api/v1/files/remote", "/api/v1/files/remoteLink"} {
				assert.Equal(t, path, reqs[i].Path)
				assert.Equal(t, []string{"Bearer oauth-access-1"}, reqs[i].Header.Values("Authorization"))
				assert.Empty(t, reqs[i].Header.Values("X-Api-Token"))
				assert.Empty(t, reqs[i].RawQuery)
				assert.Equal(t, []string{wantUserAgent}, reqs[i].Header.Values("User-Agent"))
			}
		})
	}
}

func TestOAuthExplicitBaseURLWinsOverAPIDomain(t *testing.T) {
	t.Parallel()
	domain := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	base := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-access-2", domain.srv.URL)), base.srv.URL+"/custom/v1")

	_, err := c.Files.LinkRemote(t.Context(), validLink())
	require.NoError(t, err)

	got := base.onlyRequest(t)
	assert.Equal(t, "/custom/v1/files/remoteLink", got.Path)
	assert.Equal(t, []string{"Bearer oauth-access-2"}, got.Header.Values("Authorization"))
	assert.Zero(t, domain.count())
}

func TestOAuthBaseURLWithoutAPIDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []pipedrive.Option
		want string
	}{
		{"no api_domain: default base URL", nil, "https://api.pipedrive.com/v1/files/remote"},
		{"company domain wins over api_domain", []pipedrive.Option{pipedrive.WithCompanyDomain("acme")}, "https://acme.pipedrive.com/api/v1/files/remote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			domain := ""
			if len(tt.opts) > 0 {
				domain = "https://elsewhere.example"
			}
			rt := &recordingTransport{}
			c := newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-access-3", domain)), "",
				append([]pipedrive.Option{pipedrive.WithHTTPClient(&http.Client{Transport: rt})}, tt.opts...)...)

			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, rt.recordedURLs())
		})
	}
}

func TestOAuthInvalidAPIDomainSendsNothing(t *testing.T) {
	t.Parallel()
	for _, domain := range []string{
		"ftp://acme.pipedrive.com",
		"acme.pipedrive.com", // no scheme
		"https://user:pw@acme.pipedrive.com",
		"https://oauth-secret-user:oauth-secret-pw@acme.pipedrive.com",
		"https://oauth-secret-user@acme.pipedrive.com",
		"https://acme.pipedrive.com?x=1",
		"https://acme.pipedrive.com?",
		"https://acme.pipedrive.com#top",
		"https://acme.pipedrive.com/api/v1",
		"https://acme.pipedrive.com/%2F",
		"http://acme.pipedrive.com", // plain http only for loopback
		"http://10.0.0.1",
		"https://",
		"https://:443",
		"http://%zz",
		"http://oauth-secret-pw@%zz",
	} {
		t.Run(domain, func(t *testing.T) {
			t.Parallel()
			rt := &recordingTransport{}
			// The token is only read when a call is made.
			c := newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-secret-access", domain)), "", pipedrive.WithHTTPClient(&http.Client{Transport: rt}))

			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "api_domain")
			assert.NotContains(t, err.Error(), "oauth-secret", "neither the token nor credentials in the domain are quoted")
			assert.NotContains(t, err.Error(), "pw")
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
			var apiErr *pipedrive.APIError
			assert.NotErrorAs(t, err, &apiErr)
			_, err = c.Files.LinkRemote(t.Context(), validLink())
			require.Error(t, err)
			assert.Empty(t, rt.recordedURLs(), "no request to any host")
		})
	}
}

// An api_domain that is https with a host and nothing else (a trailing slash aside), or
// http on a loopback host, is where requests go.
func TestOAuthValidAPIDomains(t *testing.T) {
	t.Parallel()
	for domain, want := range map[string]string{
		"https://acme.pipedrive.com":      "https://acme.pipedrive.com/api/v1/files/remote",
		"https://acme.pipedrive.com/":     "https://acme.pipedrive.com/api/v1/files/remote",
		"https://ACME.pipedrive.com:8443": "https://ACME.pipedrive.com:8443/api/v1/files/remote",
		"http://localhost:8080":           "http://localhost:8080/api/v1/files/remote",
		"http://127.0.0.2":                "http://127.0.0.2/api/v1/files/remote",
		"http://[::1]:9000/":              "http://[::1]:9000/api/v1/files/remote",
	} {
		t.Run(domain, func(t *testing.T) {
			t.Parallel()
			rt := &recordingTransport{}
			c := newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-access", domain)), "", pipedrive.WithHTTPClient(&http.Client{Transport: rt}))
			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			require.NoError(t, err)
			assert.Equal(t, []string{want}, rt.recordedURLs())
		})
	}
}

// errTokenSource fails the way a refresh against a revoked grant does.
type errTokenSource struct{ err error }

func (s errTokenSource) Token() (*oauth2.Token, error) { return nil, s.err }

func TestOAuthTokenSourceFailureSendsNothing(t *testing.T) {
	t.Parallel()
	refreshErr := errors.New("oauth2: token expired and refresh token is not set")
	tests := []struct {
		name string
		ts   oauth2.TokenSource
		is   error
	}{
		{"source error", errTokenSource{refreshErr}, refreshErr},
		{"empty access token", oauth2.StaticTokenSource(&oauth2.Token{}), nil},
		{"nil token and nil error", errTokenSource{nil}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &recordingTransport{}
			c := newClientWith(t, pipedrive.WithTokenSource(tt.ts), "", pipedrive.WithHTTPClient(&http.Client{Transport: rt}))

			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Contains(t, err.Error(), "OAuth")
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
			assert.Empty(t, rt.recordedURLs())
		})
	}
}

// The whole OAuth path as a user wires it: an oauth2.Config on Pipedrive's endpoint
// style refreshes an expired token once, and the refreshed token's api_domain is where
// requests go.
func TestOAuthRefreshThroughOAuthEndpointStyle(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	var refreshes atomic.Int64
	tokenSrv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		refreshes.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "client-id" || secret != "client-secret" || r.PostFormValue("grant_type") != "refresh_token" || r.PostFormValue("refresh_token") != "refresh-1" {
			replyJSON(401, `{"error":"invalid_client"}`)(w, r)
			return
		}
		replyJSON(200, `{"access_token":"fresh-access","token_type":"Bearer","refresh_token":"refresh-2","expires_in":3599,"scope":"deals:full","api_domain":"`+api.srv.URL+`"}`)(w, r)
	})

	endpoint := pipedrive.OAuthEndpoint
	endpoint.TokenURL = tokenSrv.srv.URL + "/oauth/token"
	cfg := &oauth2.Config{ClientID: "client-id", ClientSecret: "client-secret", Endpoint: endpoint}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, tokenSrv.srv.Client())
	ts := cfg.TokenSource(ctx, &oauth2.Token{AccessToken: "stale", RefreshToken: "refresh-1", Expiry: time.Now().Add(-time.Hour)})

	c := newClientWith(t, pipedrive.WithTokenSource(ts), "")
	for range 2 {
		_, err := c.Files.CreateRemote(t.Context(), validCreate())
		require.NoError(t, err)
	}

	assert.Equal(t, int64(1), refreshes.Load(), "refreshed once, then reused")
	reqs := api.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, "/api/v1/files/remote", r.Path)
		assert.Equal(t, []string{"Bearer fresh-access"}, r.Header.Values("Authorization"))
	}
}

// A retry after a 429's wait carries the token as of the retry, not the one the first
// attempt carried, which may have expired during the wait.
func TestOAuthRetryCarriesAFreshToken(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, throttledOnce(minimalSuccessJSON))
	ts := &rotatingTokens{}
	clk := newFakeClock()
	c := newClientWith(t, pipedrive.WithTokenSource(ts), api.baseURL(), retries, pipedrive.WithClock(clk))

	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	require.NoError(t, err)
	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Bearer "+ts.issued(0), reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer "+ts.issued(1), reqs[1].Header.Get("Authorization"))
	assert.Equal(t, reqs[0].Body, reqs[1].Body, "the same form, resent")
	assert.Contains(t, clk.Sleeps(), 2*time.Second)
}

// throttledOnce answers the first request with a 429 asking to wait 2 s, then every
// other with body.
func throttledOnce(body string) http.HandlerFunc {
	return inTurn(replyJSON(429, errorEnvelope("Rate limit exceeded", ""), "Retry-After", "2"), replyJSON(200, body))
}

// With the token in the query, a retry carries it once, not once per attempt.
func TestAPITokenInQueryOncePerRetry(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, throttledOnce(emptyPageJSON))
	c := tokenModes[1].client(t, api.baseURL(), retries)
	for _, err := range c.Files.List(t.Context(), pipedrive.Deal(12)) {
		require.NoError(t, err)
	}
	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].RawQuery, reqs[1].RawQuery)
	assert.Equal(t, 1, strings.Count(reqs[1].RawQuery, "api_token="), reqs[1].RawQuery)
}
