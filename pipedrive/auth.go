package pipedrive

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// OAuthEndpoint is Pipedrive's OAuth 2.0 endpoint, for an oauth2.Config whose token
// source is passed to WithTokenSource. Pipedrive authenticates the client with HTTP Basic.
var OAuthEndpoint = oauth2.Endpoint{
	AuthURL:   "https://oauth.pipedrive.com/oauth/authorize",
	TokenURL:  "https://oauth.pipedrive.com/oauth/token",
	AuthStyle: oauth2.AuthStyleInHeader,
}

// credential puts one kind of authentication on a request. Every implementation is a
// pointer that formats as [REDACTED] and keeps its secrets behind one more pointer (a
// *secret, a *tokenMemory), so printing a Client, a dereferenced Client, or a struct
// holding either, at any depth and under any verb, never shows a token: fmt calls no
// Format method on an unexported field, and prints a pointer it meets inside a value as
// an address, except under a verb it cannot format a pointer with (%s, %q, %t, %U, %e,
// ...), where it shows what that one pointer points to, and there again only addresses.
type credential interface {
	apply(req *http.Request) error
	// secrets are the tokens to strip from errors and logs, as of now.
	secrets() []string
	// kind names the credential for Client's Format, e.g. "x-api-token header".
	kind() string
}

// secret holds a token behind a pointer of its own; see credential.
type secret struct{ s string }

// Format prints [REDACTED] under every verb, should a *secret ever be printed itself.
func (*secret) Format(f fmt.State, _ rune) { writeRedacted(f) }

// headerToken sends the API token in the x-api-token header.
type headerToken struct{ tok *secret }

// newHeaderToken returns the credential for WithAPIToken.
func newHeaderToken(token string) *headerToken { return &headerToken{&secret{token}} }

func (t *headerToken) apply(req *http.Request) error {
	req.Header.Set("X-Api-Token", t.tok.s)
	return nil
}
func (t *headerToken) secrets() []string          { return []string{t.tok.s} }
func (t *headerToken) kind() string               { return "x-api-token header" }
func (t *headerToken) Format(f fmt.State, _ rune) { writeRedacted(f) }

// queryToken sends the API token as the api_token query parameter.
type queryToken struct{ tok *secret }

// newQueryToken returns the credential for WithAPITokenInQuery.
func newQueryToken(token string) *queryToken { return &queryToken{&secret{token}} }

func (t *queryToken) apply(req *http.Request) error {
	q := "api_token=" + url.QueryEscape(t.tok.s)
	if req.URL.RawQuery != "" {
		q = req.URL.RawQuery + "&" + q
	}
	req.URL.RawQuery = q
	return nil
}
func (t *queryToken) secrets() []string          { return []string{t.tok.s} }
func (t *queryToken) kind() string               { return "api_token query parameter" }
func (t *queryToken) Format(f fmt.State, _ rune) { writeRedacted(f) }

// recentTokens is how many OAuth tokens the redactor remembers: a response may echo the
// token its request carried after a concurrent call has already refreshed it.
const recentTokens = 4

// bearer sends an OAuth access token; ts refreshes it when it expires.
type bearer struct {
	ts  oauth2.TokenSource
	mem *tokenMemory // behind a pointer, like every credential's secrets
}

// tokenMemory is the access and refresh tokens of the last tokens a bearer used, oldest
// first, for the redactor.
type tokenMemory struct {
	mu     sync.Mutex
	recent []string
}

// Format prints [REDACTED] under every verb, should a *tokenMemory ever be printed itself.
func (*tokenMemory) Format(f fmt.State, _ rune) { writeRedacted(f) }

// newBearer returns a bearer for ts (oauth2.ReuseTokenSource'd by WithTokenSource).
func newBearer(ts oauth2.TokenSource) *bearer { return &bearer{ts: ts, mem: &tokenMemory{}} }

func (b *bearer) token() (*oauth2.Token, error) {
	tok, err := b.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("getting OAuth token: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("OAuth token source returned an empty access token")
	}
	b.remember(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// nonNilSource turns a token source's (nil, nil) answer into an error: oauth2's
// ReuseTokenSource, and the caller after it, would panic on the nil token.
type nonNilSource struct{ ts oauth2.TokenSource }

func (s nonNilSource) Token() (*oauth2.Token, error) {
	tok, err := s.ts.Token()
	if err == nil && tok == nil {
		return nil, errors.New("token source returned no token and no error")
	}
	return tok, err
}

// remember records the token's secrets for the redactor, keeping the last few.
func (b *bearer) remember(secrets ...string) {
	m := b.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range secrets {
		if s == "" || slices.Contains(m.recent, s) {
			continue
		}
		if len(m.recent) == 2*recentTokens {
			m.recent = slices.Delete(m.recent, 0, 1)
		}
		m.recent = append(m.recent, s)
	}
}

func (b *bearer) apply(req *http.Request) error {
	tok, err := b.token()
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

func (b *bearer) secrets() []string {
	b.mem.mu.Lock()
	defer b.mem.mu.Unlock()
	return slices.Clone(b.mem.recent)
}
func (b *bearer) kind() string               { return "OAuth bearer token" }
func (b *bearer) Format(f fmt.State, _ rune) { writeRedacted(f) }

// writeRedacted is what a credential prints under every fmt verb.
func writeRedacted(w io.Writer) { _, _ = io.WriteString(w, redactedMark) }

// apiDomainBase returns the base URL named by the token's api_domain, or "" if it has
// none. The domain comes from the token endpoint, so it is checked like any input: an
// https URL with a host and nothing else (http only for a loopback host, for tests).
// Errors never quote it, as it may carry credentials.
func apiDomainBase(tok *oauth2.Token) (string, error) {
	domain, _ := tok.Extra("api_domain").(string)
	if domain == "" {
		return "", nil
	}
	u, err := url.Parse(domain)
	if err != nil {
		return "", errors.New("OAuth token's api_domain is not a valid URL")
	}
	if err := checkAPIDomain(u); err != nil {
		return "", fmt.Errorf("OAuth token's api_domain: %w", err)
	}
	return u.Scheme + "://" + u.Host + "/api/v1", nil
}

// checkAPIDomain accepts "https://host[:port]" with an optional trailing slash, and
// "http://" only for a loopback host.
func checkAPIDomain(u *url.URL) error {
	switch {
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return errors.New("http is allowed only for a loopback host; use https")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("scheme is not https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("URL has no host")
	case u.User != nil:
		return errors.New("URL must not carry credentials")
	case u.Path != "" && u.Path != "/" || u.RawPath != "":
		return errors.New("URL must not have a path")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return errors.New("URL must not have a query or fragment")
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// minTokenLen is the shortest API token accepted. Pipedrive's are 40 hex characters; a
// much shorter one cannot be Pipedrive's, and could not be redacted either: masking every
// "x" in every message garbles the text and gives the token away.
const minTokenLen = 20

// cleanToken returns the API token to use, or why it cannot be Pipedrive's. A trailing
// line break ("\n" or "\r\n", as os.ReadFile of a token file leaves) is trimmed; any other
// whitespace, a control character, a character beyond printable ASCII, or fewer than
// minTokenLen characters are refused. The error never quotes the token, nor any part of it.
func cleanToken(token string) (string, error) {
	token = strings.TrimRight(token, "\r\n")
	if token == "" {
		return "", errors.New("token is empty")
	}
	for i := 0; i < len(token); i++ {
		switch b := token[i]; {
		case b <= ' ' || b == 0x7f:
			return "", errors.New("token contains whitespace or control characters")
		case b > 0x7f:
			return "", errors.New("token contains characters other than printable ASCII; a Pipedrive API token is 40 hex characters")
		}
	}
	if len(token) < minTokenLen {
		return "", fmt.Errorf("token has fewer than %d characters; a Pipedrive API token is 40 hex characters", minTokenLen)
	}
	return token, nil
}
