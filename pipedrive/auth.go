package pipedrive

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// OAuthEndpoint is Pipedrive's OAuth 2.0 endpoint, for an oauth2.Config whose token
// source is passed to WithTokenSource. Pipedrive authenticates the client with HTTP Basic.
var OAuthEndpoint = oauth2.Endpoint{
	AuthURL:   "https://oauth.pipedrive.com/oauth/authorize",
	TokenURL:  "https://oauth.pipedrive.com/oauth/token",
	AuthStyle: oauth2.AuthStyleInHeader,
}

// credential puts one kind of authentication on a request.
type credential interface {
	apply(req *http.Request) error
	// secret is a fixed token to strip from error text, or "".
	secret() string
}

// headerToken sends the API token in the x-api-token header.
type headerToken string

func (t headerToken) apply(req *http.Request) error {
	req.Header["X-Api-Token"] = []string{string(t)}
	return nil
}
func (t headerToken) secret() string { return string(t) }

// queryToken sends the API token as the api_token query parameter.
type queryToken string

func (t queryToken) apply(req *http.Request) error {
	q := "api_token=" + url.QueryEscape(string(t))
	if req.URL.RawQuery != "" {
		q = req.URL.RawQuery + "&" + q
	}
	req.URL.RawQuery = q
	return nil
}
func (t queryToken) secret() string { return string(t) }

// bearer sends an OAuth access token; ts refreshes it when it expires.
type bearer struct{ ts oauth2.TokenSource }

func (b *bearer) token() (*oauth2.Token, error) {
	tok, err := b.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("getting OAuth token: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("OAuth token source returned an empty access token")
	}
	return tok, nil
}

func (b *bearer) apply(req *http.Request) error {
	tok, err := b.token()
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{"Bearer " + tok.AccessToken}
	return nil
}
func (b *bearer) secret() string { return "" }

// apiDomainBase returns the base URL named by the token's api_domain, or "" if it has
// none.
func apiDomainBase(tok *oauth2.Token) (string, error) {
	domain, _ := tok.Extra("api_domain").(string)
	if domain == "" {
		return "", nil
	}
	u, err := url.Parse(domain)
	if err == nil {
		err = checkBase(u)
	}
	if err != nil {
		return "", fmt.Errorf("OAuth token's api_domain %q: %w", domain, err)
	}
	return strings.TrimRight(u.String(), "/") + "/api/v1", nil
}

// checkToken rejects tokens that would corrupt a header or a URL.
func checkToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("token is empty")
	}
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return errors.New("token contains whitespace or control characters")
		}
	}
	return nil
}

// redactor removes a fixed secret from text that may end up in an error, both as it is
// and URL-escaped as the query parameter carries it (a proxy page may echo the URL).
type redactor struct{ forms []string }

func newRedactor(secret string) redactor {
	if secret == "" {
		return redactor{}
	}
	r := redactor{forms: []string{secret}}
	if escaped := url.QueryEscape(secret); escaped != secret {
		r.forms = append(r.forms, escaped)
	}
	return r
}

// String returns s with every form of the secret replaced by [REDACTED].
func (r redactor) String(s string) string {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, "[REDACTED]")
		}
	}
	return s
}

// sanitize returns err with the token removed: a *url.Error prints the request URL,
// which holds the token in query mode.
func (r redactor) sanitize(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		cp := *ue
		cp.URL = stripQueryToken(ue.URL)
		err = &cp
	}
	if msg := err.Error(); r.String(msg) != msg {
		return &redactedError{msg: r.String(msg), err: err}
	}
	return err
}

// stripQueryToken removes api_token from a URL string.
func stripQueryToken(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	if !q.Has("api_token") {
		return raw
	}
	q.Del("api_token")
	u.RawQuery = q.Encode()
	return u.String()
}

// redactedError keeps the chain for errors.Is/As while printing text without the secret.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
