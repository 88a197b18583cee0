package pipedrive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestAPITokenInQuery(t *testing.T) {
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c, err := pipedrive.NewClient(
		pipedrive.WithBaseURL(api.baseURL()),
		pipedrive.WithAPITokenInQuery(testToken),
		pipedrive.WithRetry(pipedrive.NoRetry),
	)
	require.NoError(t, err)

	_, err = c.Files.CreateRemote(context.Background(), validCreate())
	require.NoError(t, err)
	_, err = c.Files.LinkRemote(context.Background(), validLink())
	require.NoError(t, err)

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

// A token with characters that need escaping still arrives intact.
func TestAPITokenInQueryIsEscaped(t *testing.T) {
	const odd = "a+b/c=d&e%f"
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c, err := pipedrive.NewClient(pipedrive.WithBaseURL(api.baseURL()), pipedrive.WithAPITokenInQuery(odd))
	require.NoError(t, err)

	_, err = c.Files.CreateRemote(context.Background(), validCreate())
	require.NoError(t, err)

	got := api.onlyRequest(t)
	q, err := url.ParseQuery(got.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"api_token": {odd}}, q)
}

// tokenModes are the three ways a token travels: API token in the header or the query,
// and OAuth bearer.
var tokenModes = []struct {
	name string
	opt  func(string) pipedrive.Option
	kind string // how a printed Client names it
}{
	{"header", pipedrive.WithAPIToken, "x-api-token header"},
	{"query", pipedrive.WithAPITokenInQuery, "api_token query parameter"},
	{"oauth", withOAuthToken, "OAuth bearer token"},
}

// requireNoToken fails if the token appears in the error text, the APIError fields, or
// the log output.
func requireNoToken(t *testing.T, err error, logs *bytes.Buffer) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testToken)
	assert.NotContains(t, fmt.Sprintf("%+v", err), testToken)
	for e := err; e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), testToken, "every error in the chain")
	}
	var apiErr *pipedrive.APIError
	if errors.As(err, &apiErr) {
		for _, s := range []string{apiErr.Message, apiErr.Info, apiErr.Code, string(apiErr.Body)} {
			assert.NotContains(t, s, testToken)
		}
	}
	assert.NotContains(t, logs.String(), testToken)
}

func TestTokenIsAbsentFromEveryError(t *testing.T) {
	echoPage := func(w http.ResponseWriter, r *http.Request) {
		// A proxy page that echoes the request, token and all.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html><body><h1>403 Forbidden</h1><p>Request %s blocked. x-api-token: %s</p></body></html>",
			r.URL.String(), r.Header.Get("X-Api-Token")+testToken)
	}
	scenarios := []struct {
		name     string
		respond  http.HandlerFunc
		sentinel error
	}{
		{"403 HTML echoing the token and URL", echoPage, pipedrive.ErrForbidden},
		{"401 JSON echoing the token", replyJSON(401, errorEnvelope("Invalid token "+testToken, "token="+testToken)), pipedrive.ErrUnauthorized},
		{"502 HTML echoing the token", replyRaw(502, "text/html", "<html>Bad gateway for api_token="+testToken+"</html>"), pipedrive.ErrServer},
		{"429 echoing the token", replyJSON(429, errorEnvelope("limit for "+testToken, ""), "X-Ratelimit-Reset", "2"), pipedrive.ErrRateLimited},
		{"200 HTML echoing the token", replyRaw(200, "text/html", "<html>"+testToken+"</html>"), pipedrive.ErrOutcomeUnknown},
	}
	for _, mode := range tokenModes {
		for _, sc := range scenarios {
			t.Run(mode.name+"/"+sc.name, func(t *testing.T) {
				api := newFakeAPI(t, sc.respond)
				var logs bytes.Buffer
				c, err := pipedrive.NewClient(
					pipedrive.WithBaseURL(api.baseURL()),
					mode.opt(testToken),
					pipedrive.WithRetry(pipedrive.NoRetry),
					pipedrive.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				)
				require.NoError(t, err)

				_, err = c.Files.CreateRemote(context.Background(), validCreate())
				require.ErrorIs(t, err, sc.sentinel)
				requireNoToken(t, err, &logs)
				assert.NotEmpty(t, logs.String(), "the attempt was logged")

				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Contains(t, string(apiErr.Body)+apiErr.Message, "[REDACTED]", "the echo is replaced, not dropped")
			})
		}
	}
}

// In query mode Go's *url.Error prints the request URL, token included, unless stripped.
func TestTokenIsAbsentFromTransportErrors(t *testing.T) {
	// Port 1 has no listener: connection refused. (A closed ephemeral port could be
	// taken meanwhile by another package's test server.)
	refusedBase := "http://127.0.0.1:1" + testAPIPath

	release := make(chan struct{})
	slow := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select { // answer only once the client has given up
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })

	for _, mode := range tokenModes {
		t.Run(mode.name+"/connection refused", func(t *testing.T) {
			var logs bytes.Buffer
			c, err := pipedrive.NewClient(
				pipedrive.WithBaseURL(refusedBase),
				mode.opt(testToken),
				pipedrive.WithRetry(pipedrive.NoRetry),
				pipedrive.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
			)
			require.NoError(t, err)

			_, err = c.Files.LinkRemote(context.Background(), validLink())
			requireNoToken(t, err, &logs)
			assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the cause stays inspectable")
			var urlErr *url.Error
			require.ErrorAs(t, err, &urlErr)
			assert.NotContains(t, urlErr.URL, "api_token")
			assert.Contains(t, urlErr.URL, "/api/v1/files/remoteLink", "the URL is kept, minus the token")
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")
		})
		t.Run(mode.name+"/timeout", func(t *testing.T) {
			var logs bytes.Buffer
			c, err := pipedrive.NewClient(
				pipedrive.WithBaseURL(slow.baseURL()),
				mode.opt(testToken), // default retry policy: a timeout must still not be retried
				pipedrive.WithHTTPClient(&http.Client{Timeout: 750 * time.Millisecond}),
				pipedrive.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
			)
			require.NoError(t, err)

			before := slow.count()
			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			requireNoToken(t, err, &logs)
			assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "the request was sent; it may have been carried out")
			assert.Equal(t, before+1, slow.count(), "sent once, not retried")
		})
	}
}

// A redirect would carry x-api-token (or the query) to wherever it points; the client
// must not follow it.
func TestRedirectIsNotFollowedWithTheToken(t *testing.T) {
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			elsewhere := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.srv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			})
			c, err := pipedrive.NewClient(pipedrive.WithBaseURL(api.baseURL()), mode.opt(testToken), pipedrive.WithRetry(pipedrive.NoRetry))
			require.NoError(t, err)

			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
			assert.Equal(t, int64(1), api.count())
			assert.Zero(t, elsewhere.count(), "the token never reaches the redirect target")
			requireSentinels(t, err, "ErrOutcomeUnknown")
		})
	}
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

func TestOAuthBearerGoesToAPIDomain(t *testing.T) {
	for _, suffix := range []string{"", "/"} {
		t.Run("api_domain"+suffix, func(t *testing.T) {
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c, err := pipedrive.NewClient(pipedrive.WithTokenSource(staticOAuth("oauth-access-1", api.srv.URL+suffix)), pipedrive.WithRetry(pipedrive.NoRetry))
			require.NoError(t, err)

			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			require.NoError(t, err)
			_, err = c.Files.LinkRemote(context.Background(), validLink())
			require.NoError(t, err)

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
	domain := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	base := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c, err := pipedrive.NewClient(
		pipedrive.WithTokenSource(staticOAuth("oauth-access-2", domain.srv.URL)),
		pipedrive.WithBaseURL(base.srv.URL+"/custom/v1"),
	)
	require.NoError(t, err)

	_, err = c.Files.LinkRemote(context.Background(), validLink())
	require.NoError(t, err)

	got := base.onlyRequest(t)
	assert.Equal(t, "/custom/v1/files/remoteLink", got.Path)
	assert.Equal(t, []string{"Bearer oauth-access-2"}, got.Header.Values("Authorization"))
	assert.Zero(t, domain.count())
}

func TestOAuthBaseURLWithoutAPIDomain(t *testing.T) {
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
			domain := ""
			if len(tt.opts) > 0 {
				domain = "https://elsewhere.example"
			}
			rt := &recordingTransport{}
			opts := append([]pipedrive.Option{
				pipedrive.WithTokenSource(staticOAuth("oauth-access-3", domain)),
				pipedrive.WithHTTPClient(&http.Client{Transport: rt}),
			}, tt.opts...)
			c, err := pipedrive.NewClient(opts...)
			require.NoError(t, err)

			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, rt.recordedURLs())
		})
	}
}

func TestOAuthInvalidAPIDomainSendsNothing(t *testing.T) {
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
			rt := &recordingTransport{}
			c, err := pipedrive.NewClient(
				pipedrive.WithTokenSource(staticOAuth("oauth-secret-access", domain)),
				pipedrive.WithHTTPClient(&http.Client{Transport: rt}),
			)
			require.NoError(t, err, "the token is only read when a call is made")

			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "api_domain")
			assert.NotContains(t, err.Error(), "oauth-secret", "neither the token nor credentials in the domain are quoted")
			assert.NotContains(t, err.Error(), "pw")
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
			var apiErr *pipedrive.APIError
			assert.NotErrorAs(t, err, &apiErr)
			_, err = c.Files.LinkRemote(context.Background(), validLink())
			require.Error(t, err)
			assert.Empty(t, rt.recordedURLs(), "no request to any host")
		})
	}
}

// An api_domain that is https with a host and nothing else (a trailing slash aside), or
// http on a loopback host, is where requests go.
func TestOAuthValidAPIDomains(t *testing.T) {
	for domain, want := range map[string]string{
		"https://acme.pipedrive.com":      "https://acme.pipedrive.com/api/v1/files/remote",
		"https://acme.pipedrive.com/":     "https://acme.pipedrive.com/api/v1/files/remote",
		"https://ACME.pipedrive.com:8443": "https://ACME.pipedrive.com:8443/api/v1/files/remote",
		"http://localhost:8080":           "http://localhost:8080/api/v1/files/remote",
		"http://127.0.0.2":                "http://127.0.0.2/api/v1/files/remote",
		"http://[::1]:9000/":              "http://[::1]:9000/api/v1/files/remote",
	} {
		t.Run(domain, func(t *testing.T) {
			rt := &recordingTransport{}
			c, err := pipedrive.NewClient(pipedrive.WithTokenSource(staticOAuth("oauth-access", domain)), pipedrive.WithHTTPClient(&http.Client{Transport: rt}))
			require.NoError(t, err)
			_, err = c.Files.CreateRemote(context.Background(), validCreate())
			require.NoError(t, err)
			assert.Equal(t, []string{want}, rt.recordedURLs())
		})
	}
}

// errTokenSource fails the way a refresh against a revoked grant does.
type errTokenSource struct{ err error }

func (s errTokenSource) Token() (*oauth2.Token, error) { return nil, s.err }

func TestOAuthTokenSourceFailureSendsNothing(t *testing.T) {
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
			rt := &recordingTransport{}
			c, err := pipedrive.NewClient(pipedrive.WithTokenSource(tt.ts), pipedrive.WithHTTPClient(&http.Client{Transport: rt}))
			require.NoError(t, err)

			_, err = c.Files.CreateRemote(context.Background(), validCreate())
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
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, tokenSrv.srv.Client())
	ts := cfg.TokenSource(ctx, &oauth2.Token{AccessToken: "stale", RefreshToken: "refresh-1", Expiry: time.Now().Add(-time.Hour)})

	c, err := pipedrive.NewClient(pipedrive.WithTokenSource(ts), pipedrive.WithRetry(pipedrive.NoRetry))
	require.NoError(t, err)
	for range 2 {
		_, err = c.Files.CreateRemote(context.Background(), validCreate())
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

func TestOAuthEndpoint(t *testing.T) {
	assert.Equal(t, "https://oauth.pipedrive.com/oauth/authorize", pipedrive.OAuthEndpoint.AuthURL)
	assert.Equal(t, "https://oauth.pipedrive.com/oauth/token", pipedrive.OAuthEndpoint.TokenURL)
	assert.Equal(t, oauth2.AuthStyleInHeader, pipedrive.OAuthEndpoint.AuthStyle, "Pipedrive wants HTTP Basic client auth")
}

// A retry after a 429's wait carries the token as of the retry, not the one the first
// attempt carried, which may have expired during the wait.
func TestOAuthRetryCarriesAFreshToken(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, throttledOnce(minimalSuccessJSON))
	ts := &rotatingTokens{}
	clk := newFakeClock()
	c, err := pipedrive.NewClient(pipedrive.WithBaseURL(api.baseURL()), pipedrive.WithTokenSource(ts), pipedrive.WithClock(clk))
	require.NoError(t, err)

	_, err = c.Files.CreateRemote(context.Background(), validCreate())
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
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			replyJSON(429, errorEnvelope("Rate limit exceeded", ""), "Retry-After", "2")(w, r)
			return
		}
		replyJSON(200, body)(w, r)
	}
}

// With the token in the query, a retry carries it once, not once per attempt.
func TestAPITokenInQueryOncePerRetry(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, throttledOnce(emptyPageJSON))
	c, err := pipedrive.NewClient(pipedrive.WithBaseURL(api.baseURL()), pipedrive.WithAPITokenInQuery(testToken), pipedrive.WithClock(newFakeClock()))
	require.NoError(t, err)
	for _, err := range c.Files.List(context.Background(), pipedrive.Deal(12)) {
		require.NoError(t, err)
	}
	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].RawQuery, reqs[1].RawQuery)
	assert.Equal(t, 1, strings.Count(reqs[1].RawQuery, "api_token="), reqs[1].RawQuery)
}
