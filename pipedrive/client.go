package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// DefaultBaseURL is where requests go unless WithCompanyDomain, WithBaseURL or an OAuth
// token's api_domain says otherwise.
const DefaultBaseURL = "https://api.pipedrive.com/v1"

// defaultTimeout bounds one attempt with the default HTTP client.
const defaultTimeout = 60 * time.Second

// userAgent is sent with every request, after the caller's WithUserAgent product.
const userAgent = "pipedrive-remote-files-go/" + Version

// Client talks to Pipedrive's API v1. Create one with NewClient and share it: it is safe
// for concurrent use, keeps connections alive between calls, and paces the requests of
// all the goroutines that use it against one view of the rate-limit window.
type Client struct {
	// Files attaches Google Drive files to deals, persons and organizations, lists an
	// item's files or the company's, and reads, renames and deletes one file.
	Files *FilesService

	api       *gen.Client // the generated client for the configured base URL
	baseSet   bool        // the base URL came from WithBaseURL or WithCompanyDomain
	cred      credential
	userAgent string
	transport *transport

	// ownHTTP is set when the HTTP client is the library's own, whose idle connections
	// CloseIdleConnections closes; a caller's (WithHTTPClient) is left alone. (Not the
	// *http.Transport itself: fmt would print its live internals, racing with its
	// connections' goroutines, for a dereferenced Client under a verb it cannot format a
	// pointer with.)
	ownHTTP bool

	mu        sync.Mutex
	domainAPI []domainClient // OAuth api_domain clients, most recently used last
}

// maxDomainClients bounds the per-api_domain clients kept: a token source that rotates
// domains must not grow memory without limit.
const maxDomainClients = 8

// domainClient is the generated client for one OAuth api_domain base URL.
type domainClient struct {
	base string
	api  *gen.Client
}

// NewClient returns a Client configured by opts. It needs exactly one credential
// (WithAPIToken, WithAPITokenInQuery or WithTokenSource) and makes no request.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{retry: DefaultRetryPolicy(), clock: realClock{}}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("pipedrive: NewClient: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	switch len(cfg.creds) {
	case 0:
		return nil, errors.New("pipedrive: NewClient: no credentials: use WithAPIToken, WithAPITokenInQuery or WithTokenSource")
	case 1:
	default:
		return nil, errors.New("pipedrive: NewClient: more than one credential: use exactly one of WithAPIToken, WithAPITokenInQuery and WithTokenSource")
	}
	if cfg.company != "" && cfg.baseURL != "" {
		return nil, errors.New("pipedrive: NewClient: WithCompanyDomain and WithBaseURL both set the base URL: use one")
	}
	c := &Client{cred: cfg.creds[0], userAgent: userAgent}
	if cfg.userAgent != "" {
		c.userAgent = cfg.userAgent + " " + userAgent
	}
	c.transport = &transport{
		hc:     httpClient(cfg.httpClient),
		policy: cfg.retry.withDefaults(),
		clock:  cfg.clock,
		logger: cfg.logger,
		redact: &redactor{cred: c.cred},
		cred:   c.cred,
	}
	c.ownHTTP = cfg.httpClient == nil
	c.transport.limiter = cfg.limiter
	c.transport.onAttempt = cfg.onAttempt
	if p := c.transport.policy; p.MaxRetries > 0 {
		c.transport.pacer = newPacer(cfg.clock, p.MaxWait)
	}
	base := DefaultBaseURL
	switch {
	case cfg.baseURL != "":
		base, c.baseSet = cfg.baseURL, true
	case cfg.company != "":
		base, c.baseSet = "https://"+cfg.company+".pipedrive.com/api/v1", true
	}
	api, err := c.newAPI(base)
	if err != nil {
		return nil, fmt.Errorf("pipedrive: NewClient: %w", err)
	}
	c.api = api
	c.Files = &FilesService{client: c}
	return c, nil
}

// defaultTransport is a copy of base (http.DefaultTransport) with more idle connections
// per host. An application may have replaced http.DefaultTransport (tracing wrappers do);
// then a plain transport with Go's default settings is used.
func defaultTransport(base http.RoundTripper) *http.Transport {
	t, ok := base.(*http.Transport)
	if ok {
		t = t.Clone()
	} else {
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	return t
}

// httpClient returns the client requests go through: a copy of the caller's, or one with
// a timeout and enough idle connections per host for concurrent use (Go's default keeps
// two, so a shared client would open and drop connections under load).
//
// Whichever it is, it never follows a redirect: Go replays custom headers such as
// x-api-token on a redirect, even to another host; it turns a POST answered with 301, 302
// or 303 into a GET whose answer would pass for the created file; and it sends a POST
// answered with 307 or 308 again. The 3xx itself is returned (ErrOutcomeUnknown after a
// POST). hc is the caller's copy (see WithHTTPClient), so setting it here changes nothing
// of the caller's.
func httpClient(hc *http.Client) *http.Client {
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport(http.DefaultTransport), Timeout: defaultTimeout}
	}
	hc.CheckRedirect = neverFollow
	return hc
}

// neverFollow is every client's CheckRedirect: the redirect response is returned as it is.
func neverFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newAPI builds the generated client for one base URL.
func (c *Client) newAPI(base string) (*gen.Client, error) {
	api, err := gen.NewClient(base, gen.WithHTTPClient(c.transport), gen.WithRequestEditorFn(c.editRequest))
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", base, err)
	}
	return api, nil
}

// editRequest adds the headers every request carries; the transport adds the credential.
func (c *Client) editRequest(_ context.Context, req *http.Request) error {
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	return nil
}

// apiFor returns the generated client to use: the configured one, or for OAuth without
// an explicit base URL, one for the token's api_domain.
func (c *Client) apiFor() (*gen.Client, error) {
	b, ok := c.cred.(*bearer)
	if !ok || c.baseSet {
		return c.api, nil
	}
	tok, err := b.token()
	if err != nil {
		return nil, err
	}
	base, err := apiDomainBase(tok)
	if err != nil || base == "" {
		return c.api, err
	}
	return c.domainClient(base)
}

// domainClient returns the cached client for an api_domain base URL, creating it (and
// evicting the least recently used one beyond maxDomainClients) when needed.
func (c *Client) domainClient(base string) (*gen.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, d := range c.domainAPI {
		if d.base == base {
			c.domainAPI = append(slices.Delete(c.domainAPI, i, i+1), d)
			return d.api, nil
		}
	}
	api, err := c.newAPI(base)
	if err != nil {
		return nil, err
	}
	if len(c.domainAPI) == maxDomainClients {
		c.domainAPI = slices.Delete(c.domainAPI, 0, 1)
	}
	c.domainAPI = append(c.domainAPI, domainClient{base: base, api: api})
	return api, nil
}

// CloseIdleConnections closes the idle keep-alive connections of the transport the
// client made for itself, for programs that create many short-lived clients. A client
// given with WithHTTPClient belongs to the caller and is left alone.
func (c *Client) CloseIdleConnections() {
	if c.ownHTTP {
		c.transport.hc.CloseIdleConnections()
	}
}

// Format prints the client without its credential under every verb (%v, %+v, %#v, %s,
// ...), so a client logged by accident shows no token. A dereferenced Client, which has
// no Format method, or a struct holding one by value, prints its fields; where the
// credential is, fmt shows only addresses (see credential).
func (c *Client) Format(f fmt.State, _ rune) {
	if c == nil {
		_, _ = io.WriteString(f, "<nil>")
		return
	}
	base := strings.TrimSuffix(c.api.Server, "/")
	if _, oauth := c.cred.(*bearer); oauth && !c.baseSet {
		base = "the token's api_domain, else " + base
	}
	_, _ = fmt.Fprintf(f, "pipedrive.Client{base: %s, auth: %s ", base, c.cred.kind())
	writeRedacted(f)
	_, _ = io.WriteString(f, "}")
}

// Format prints the service without any credential under every verb.
func (FilesService) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "pipedrive.FilesService{}")
}

// RateLimit returns the rate-limit state reported by the most recent response; before
// any response, every count is -1 and Known is false.
func (c *Client) RateLimit() RateLimit { return c.transport.rateLimit() }
