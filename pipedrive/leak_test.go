package pipedrive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
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

// fmtVerbs are the verbs a caller may print a value with.
var fmtVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p", "%10.3v", "%-8s"}

// secretPieces are the texts that must appear nowhere: the token, its escaped forms, and
// both halves of it split at every position that leaves at least 6 characters (shorter
// pieces occur by chance in any text).
func secretPieces(token string) []string {
	pieces := []string{token, url.QueryEscape(token), url.PathEscape(token)}
	for k := 6; k <= len(token)-6; k++ {
		pieces = append(pieces, token[:k], token[k:])
	}
	return pieces
}

// errorTree returns err and every error reachable from it through Unwrap() error and
// Unwrap() []error: everything errors.Is and errors.As can find.
func errorTree(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, errorTree(e.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, c := range e.Unwrap() {
			out = append(out, errorTree(c)...)
		}
	}
	return out
}

// exportedTexts appends every exported string and []byte reachable from v through
// exported fields, pointers, slices and interfaces.
func exportedTexts(v reflect.Value, out []string, depth int) []string {
	if depth > 6 || !v.IsValid() {
		return out
	}
	switch v.Kind() {
	case reflect.String:
		return append(out, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return exportedTexts(v.Elem(), out, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return append(out, string(v.Bytes()))
		}
		for i := range v.Len() {
			out = exportedTexts(v.Index(i), out, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = exportedTexts(v.Field(i), out, depth+1)
			}
		}
	}
	return out
}

// requireNoSecret fails if token, in any form or piece, appears in the error's text, in
// any exported field of any error in its tree, in the client or its services printed with
// any verb, or in the log.
func requireNoSecret(t *testing.T, token string, err error, c *pipedrive.Client, logs *bytes.Buffer) {
	t.Helper()
	var texts []string
	for _, e := range errorTree(err) {
		texts = append(texts, e.Error())
		for _, verb := range []string{"%v", "%+v", "%#v", "%q"} {
			texts = append(texts, fmt.Sprintf(verb, e))
		}
		texts = exportedTexts(reflect.ValueOf(e), texts, 0)
	}
	for _, verb := range fmtVerbs {
		texts = append(texts, fmt.Sprintf(verb, c), fmt.Sprintf(verb, c.Files), fmt.Sprintf(verb, []any{c, c.Files}))
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "client", c, "files", c.Files)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "client", c, "files", c.Files)
	texts = append(texts, logged.String(), logs.String())
	for _, piece := range secretPieces(token) {
		for _, text := range texts {
			if strings.Contains(text, piece) {
				t.Fatalf("%q (a piece of the token) appears in %q", piece, text)
			}
		}
	}
}

// leakPath is a way a token could reach a caller: a server answer, a transport failure.
type leakPath struct {
	name string
	// respond answers the client; it may echo whatever the request carried.
	respond http.HandlerFunc
	// opts are extra client options, e.g. a redirect policy.
	opts []pipedrive.Option
	// sentinel is what the error must match.
	sentinel error
}

// echoCredential is every place a request carries a credential, for a server to echo.
func echoCredential(r *http.Request) string {
	return r.Header.Get("X-Api-Token") + " " + r.Header.Get("Authorization") + " " + r.URL.String()
}

// proxyGaveUp is a caller's RoundTripper (a proxy client, say) that sends nothing and
// fails with an error whose own text quotes the request URL and the credential around a
// clean inner error: only the wrapper's text holds the token.
type proxyGaveUp struct{}

func (proxyGaveUp) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	token := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ") + req.Header.Get("X-Api-Token") + req.URL.Query().Get("api_token")
	return nil, fmt.Errorf("proxy gave up on %s (key %s): %w", req.URL, token, io.ErrUnexpectedEOF)
}

// leakPaths are the ways a token could reach a caller. The redirect comes last.
func leakPaths(t *testing.T) []leakPath {
	refused, _ := dialing(t, func(int64) error { return errRefused })
	followAll := pipedrive.WithHTTPClient(&http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
	})
	return []leakPath{
		{name: "connection refused", sentinel: syscall.ECONNREFUSED, respond: hangUp,
			opts: []pipedrive.Option{pipedrive.WithHTTPClient(refused)}},
		{name: "timeout after the request was sent", sentinel: pipedrive.ErrOutcomeUnknown, respond: replyJSON(200, minimalSuccessJSON),
			opts: []pipedrive.Option{pipedrive.WithHTTPClient(losingAnswers(t, math.MaxInt64))}},
		{name: "CDN's 403 page echoing the request", sentinel: pipedrive.ErrForbidden,
			respond: func(w http.ResponseWriter, r *http.Request) {
				replyRaw(403, "text/html", "<html><body><h1>403 Forbidden</h1><p>Request "+echoCredential(r)+" blocked.</p></body></html>")(w, r)
			}},
		{name: "JSON error echoing the credential in every field", sentinel: pipedrive.ErrUnauthorized,
			respond: func(w http.ResponseWriter, r *http.Request) {
				echo := echoCredential(r)
				body := `{"success":false,"error":` + jsonString("bad "+echo) + `,"error_info":` + jsonString(echo) +
					`,"code":` + jsonString(echo) + `,"data":null}`
				replyJSON(401, body)(w, r)
			}},
		{name: "HTML proxy page echoing the request", sentinel: pipedrive.ErrServer,
			respond: func(w http.ResponseWriter, r *http.Request) {
				replyRaw(502, "text/html", "<html><body>Bad gateway: "+echoCredential(r)+"</body></html>")(w, r)
			}},
		{name: "429 echoing the credential", sentinel: pipedrive.ErrRateLimited,
			respond: func(w http.ResponseWriter, r *http.Request) {
				replyJSON(429, errorEnvelope("limit for "+echoCredential(r), ""), "Retry-After", "NaN")(w, r)
			}},
		{name: "2xx whose data.id is the credential (our own problem text)", sentinel: pipedrive.ErrOutcomeUnknown,
			respond: func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + r.Header.Get("X-Api-Token") + r.URL.Query().Get("api_token")
				replyJSON(200, `{"success":true,"data":{"id":`+jsonString(tok)+`}}`)(w, r)
			}},
		{name: "2xx that is not JSON, echoing the credential", sentinel: pipedrive.ErrOutcomeUnknown,
			respond: func(w http.ResponseWriter, r *http.Request) {
				replyRaw(200, "text/html", "<html>"+echoCredential(r)+"</html>")(w, r)
			}},
		{name: "connection closed after the request was sent", sentinel: pipedrive.ErrOutcomeUnknown, respond: hangUp},
		{name: "a RoundTripper's error quoting the credential around a clean inner error", sentinel: io.ErrUnexpectedEOF, respond: hangUp,
			opts: []pipedrive.Option{pipedrive.WithHTTPClient(&http.Client{Transport: proxyGaveUp{}})}},
		{name: "2xx body cut short after echoing the credential", sentinel: pipedrive.ErrOutcomeUnknown,
			respond: func(w http.ResponseWriter, r *http.Request) {
				echo := `{"success":true,"data":{"name":` + jsonString(echoCredential(r))
				w.Header().Set("Content-Length", strconv.Itoa(len(echo)+100))
				_, _ = io.WriteString(w, echo)
				w.(http.Flusher).Flush()
				hangUp(w, r)
			}},
		{name: "redirect whose Location and body carry the credential, with a caller's client that follows", sentinel: pipedrive.ErrOutcomeUnknown,
			opts: []pipedrive.Option{followAll},
			respond: func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/files/remote") {
					tok := url.PathEscape(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + r.Header.Get("X-Api-Token") + r.URL.Query().Get("api_token"))
					loc := testAPIPath + "/files/remote/" + tok + "/moved?" + r.URL.RawQuery + "&copy=" + tok
					replyRaw(http.StatusTemporaryRedirect, "text/html", `<a href="`+loc+`">Temporary Redirect</a>`, "Location", loc)(w, r)
					return
				}
				hangUp(w, r)
			}},
	}
}

// Every leak path, in every auth mode: the token reaches neither the error (text, fields,
// anything Unwrap reaches), nor the printed client, nor the log.
func TestTokenLeaksNowhere(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		for _, lp := range leakPaths(t) {
			t.Run(mode.name+"/"+lp.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, lp.respond)
				var logs bytes.Buffer
				c := mode.client(t, api.baseURL(), append([]pipedrive.Option{debugLog(&logs)}, lp.opts...)...)

				f, err := c.Files.CreateRemote(t.Context(), validCreate())
				require.Nil(t, f)
				require.ErrorIs(t, err, lp.sentinel)
				requireNoSecret(t, testToken, err, c, &logs)
				assert.Equal(t, 1, strings.Count(err.Error(), "pipedrive:"), "one prefix: %v", err)
				assert.NotEmpty(t, logs.String(), "the attempt was logged")
				var apiErr *pipedrive.APIError
				if errors.As(err, &apiErr) {
					assert.Contains(t, string(apiErr.Body)+apiErr.Message, "[REDACTED]", "the echo is replaced, not dropped")
				}

				// A list (GET) takes the same paths to its error.
				_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
				require.Len(t, errs, 1)
				requireNoSecret(t, testToken, errs[0], c, &logs)
				assert.Equal(t, 1, strings.Count(errs[0].Error(), "pipedrive:"), "one prefix: %v", errs[0])
			})
		}
	}
}

// A redirect whose Location carries the token is not followed, even by a caller's client
// whose CheckRedirect would: one request, and the 3xx comes back as an *APIError, not as
// a *url.Error quoting the redirect target.
func TestRedirectCarryingTheTokenIsNotFollowed(t *testing.T) {
	t.Parallel()
	paths := leakPaths(t)
	lp := paths[len(paths)-1]
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, lp.respond)
			c := mode.client(t, api.baseURL(), lp.opts...)

			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
			assert.Contains(t, string(apiErr.Body), "/files/remote/[REDACTED]/moved", "the echoed target, minus the token")
			var urlErr *url.Error
			assert.False(t, errors.As(err, &urlErr), "no redirect was attempted")
			assert.Equal(t, int64(1), api.count(), "the original request only")
		})
	}
}

// A token straddling the 64 KiB cut of APIError.Body: the body is redacted before it is
// cut, so what is kept is the text before the token, exactly. Every split is checked on
// the cut itself (TestCutNeverKeepsPartOfASecret); these are the edges, end to end.
func TestBodyCutNeverKeepsPartOfTheToken(t *testing.T) {
	t.Parallel()
	const keep = 64 << 10
	filler := strings.Repeat("x", keep)
	for _, mode := range tokenModes {
		for _, k := range []int{1, len("[REDACTED]") - 1, len("[REDACTED]"), len(testToken) - 1} {
			t.Run(fmt.Sprintf("%s/split after %d", mode.name, k), func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, replyRaw(502, "text/html", filler[:keep-k]+testToken+"</html>"))
				c := mode.client(t, api.baseURL())

				_, err := c.Files.CreateRemote(t.Context(), validCreate())
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				// The mark replaces the whole token; a mark the cut would split is dropped.
				want := filler[:keep-k]
				if k >= len("[REDACTED]") {
					want = (want + "[REDACTED]</html>")[:min(keep, len(want)+len("[REDACTED]</html>"))]
				}
				require.True(t, want == string(apiErr.Body), "body ends in %q", string(apiErr.Body[len(apiErr.Body)-20:]))
				var logs bytes.Buffer
				requireNoSecret(t, testToken, err, c, &logs)
			})
		}
	}
}

// In OAuth mode the token changes on refresh: each access token is redacted from the
// answers to the requests that carried it.
func TestRefreshedBearerTokensAreRedacted(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		replyJSON(403, errorEnvelope("token "+r.Header.Get("Authorization")+" lacks scope", ""))(w, r)
	})
	ts := &rotatingTokens{}
	c := newClientWith(t, pipedrive.WithTokenSource(ts), api.baseURL())
	var logs bytes.Buffer
	for i := range 6 {
		_, err := c.Files.CreateRemote(t.Context(), validCreate())
		require.ErrorIs(t, err, pipedrive.ErrForbidden)
		requireNoSecret(t, ts.issued(i), err, c, &logs)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "token Bearer [REDACTED] lacks scope", apiErr.Message)
	}
	assert.Equal(t, 6, ts.n, "a fresh token for every call")
}

// rotatingTokens hands out a new, already expired access token on every call, as a
// token source refreshing on each use would.
type rotatingTokens struct{ n int }

func (s *rotatingTokens) issued(i int) string { return fmt.Sprintf("%s-%02d", testToken, i) }

func (s *rotatingTokens) Token() (*oauth2.Token, error) {
	tok := &oauth2.Token{AccessToken: s.issued(s.n), RefreshToken: "refresh-" + s.issued(s.n), Expiry: time.Now().Add(-time.Minute)}
	s.n++
	return tok, nil
}

// Printing a client or its services with any verb never shows the token.
func TestClientFormatsWithoutToken(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			c := mode.client(t, "https://acme.pipedrive.com/api/v1")
			var logs bytes.Buffer
			requireNoSecret(t, testToken, nil, c, &logs)
			assert.Equal(t, "pipedrive.Client{base: https://acme.pipedrive.com/api/v1, auth: "+mode.kind+" [REDACTED]}", fmt.Sprintf("%+v", c))
			assert.Equal(t, "pipedrive.FilesService{}", fmt.Sprintf("%#v", *c.Files))
			c = mode.client(t, "")
			want := "https://api.pipedrive.com/v1"
			if mode.name == "oauth" {
				want = "the token's api_domain, else " + want
			}
			assert.Equal(t, "pipedrive.Client{base: "+want+", auth: "+mode.kind+" [REDACTED]}", fmt.Sprint(c))
			// Reflection reaches unexported fields that fmt does not; what it finds there
			// are pointers, so a printed struct holding a Client shows no token either.
			holder := struct {
				Client *pipedrive.Client
				Files  pipedrive.FilesService
			}{c, *c.Files}
			for _, verb := range fmtVerbs {
				assert.NotContains(t, fmt.Sprintf(verb, holder), testToken, verb)
			}
		})
	}
}

// errors.Is still finds the context error inside a redacted transport error (the query
// token makes Go's *url.Error text dirty, so the chain is rebuilt around it).
func TestRedactedTransportErrorKeepsContextError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the caller gives up once the request has arrived
		<-r.Context().Done()
	})
	c := tokenModes[1].client(t, api.baseURL()) // the query mode: Go's error text holds the token

	_, err := c.Files.CreateRemote(ctx, validCreate())
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	var urlErr *url.Error
	require.ErrorAs(t, err, &urlErr)
	assert.NotContains(t, urlErr.URL, "api_token")
	assert.Contains(t, urlErr.URL, "/api/v1/files/remote")
	var logs bytes.Buffer
	requireNoSecret(t, testToken, err, c, &logs)
}

// failingRefresh issues one token, then fails the way a token endpoint does when the
// refresh is refused, quoting the old tokens in its answer.
type failingRefresh struct{ calls int }

func (s *failingRefresh) Token() (*oauth2.Token, error) {
	s.calls++
	if s.calls == 1 {
		return &oauth2.Token{AccessToken: testToken, RefreshToken: "refresh-" + testToken, Expiry: time.Now().Add(-time.Minute)}, nil
	}
	return nil, &oauth2.RetrieveError{
		Body:             []byte(`{"error":"invalid_grant","error_description":"refresh-` + testToken + ` revoked; access ` + testToken + `"}`),
		ErrorCode:        "invalid_grant",
		ErrorDescription: "refresh-" + testToken + " revoked; access " + testToken,
	}
}

// A refused refresh whose answer quotes the old tokens: the error is redacted and still
// an *oauth2.RetrieveError, so a caller can tell invalid_grant apart.
func TestRefreshErrorIsRedacted(t *testing.T) {
	t.Parallel()
	re := refusedRefresh(t, &failingRefresh{}, testToken)
	assert.Equal(t, "[REDACTED] revoked; access [REDACTED]", re.ErrorDescription)
}

// refusedRefresh makes a call that succeeds with ts's first token and one whose refresh
// ts refuses, checks that the second was not sent, that it failed with an
// *oauth2.RetrieveError for invalid_grant and that secret is nowhere in it, and returns
// that error.
func refusedRefresh(t *testing.T, ts oauth2.TokenSource, secret string) *oauth2.RetrieveError {
	t.Helper()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClientWith(t, pipedrive.WithTokenSource(ts), api.baseURL())
	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	require.NoError(t, err)

	_, err = c.Files.CreateRemote(t.Context(), validCreate())
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	var logs bytes.Buffer
	requireNoSecret(t, secret, err, c, &logs)
	assert.Equal(t, int64(1), api.count(), "nothing sent without a token")
	return re
}

// refreshingSource is a real oauth2 token source whose token endpoint is tokenAPI: its
// first token has expired, so the first call refreshes at once.
func refreshingSource(tokenAPI *fakeAPI, refresh string) oauth2.TokenSource {
	conf := &oauth2.Config{ClientID: "id", ClientSecret: "client-secret", Endpoint: oauth2.Endpoint{TokenURL: tokenAPI.srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	return conf.TokenSource(context.Background(), &oauth2.Token{AccessToken: "old-access", RefreshToken: refresh, Expiry: time.Now().Add(-time.Hour)})
}

// A refused refresh whose answer shows no token: the *oauth2.RetrieveError that reaches
// the caller has no way back to the refresh request (its body holds the refresh token,
// its header the client secret).
func TestRefreshErrorKeepsNoRefreshRequest(t *testing.T) {
	t.Parallel()
	refresh := "refresh-" + testToken
	var answers atomic.Int64
	tokenAPI := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if answers.Add(1) == 1 { // expires at once, so the next call refreshes again
			replyJSON(200, `{"access_token":"access-`+testToken+`","refresh_token":`+jsonString(refresh)+`,"expires_in":1}`)(w, r)
			return
		}
		replyJSON(400, `{"error":"invalid_grant"}`)(w, r)
	})
	re := refusedRefresh(t, refreshingSource(tokenAPI, refresh), refresh)
	require.NotNil(t, re.Response)
	assert.Equal(t, http.StatusBadRequest, re.Response.StatusCode)
	assert.Nil(t, re.Response.Request, "the refresh request")
	assert.Empty(t, re.Response.Header)
	assert.Nil(t, re.Response.Body)
}

// The very first refresh is refused and the endpoint echoes the refresh token it was
// sent: no token is known yet to redact, so the endpoint's free texts are dropped and
// only its error code is kept.
func TestFirstRefreshErrorDropsEchoedTexts(t *testing.T) {
	t.Parallel()
	refresh := "refresh-" + testToken
	tokenAPI := newFakeAPI(t, replyJSON(400, `{"error":"invalid_grant","error_description":"refresh token `+refresh+` revoked","error_uri":"https://example.com/`+refresh+`"}`))
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClientWith(t, pipedrive.WithTokenSource(refreshingSource(tokenAPI, refresh)), api.baseURL())

	_, err := c.Files.CreateRemote(t.Context(), validCreate())
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	assert.Contains(t, err.Error(), `"invalid_grant"`)
	var logs bytes.Buffer
	requireNoSecret(t, refresh, err, c, &logs)
	assert.Zero(t, api.count(), "nothing sent without a token")
}
