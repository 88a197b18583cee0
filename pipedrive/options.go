package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
)

// Option configures a Client in NewClient. Each option checks its own argument.
type Option func(*config) error

// config collects what the options say before NewClient checks them together.
type config struct {
	creds      []credential
	company    string
	baseURL    string
	httpClient *http.Client
	userAgent  string
	retry      RetryPolicy
	logger     *slog.Logger
	clock      Clock
	limiter    RateLimiter
	onAttempt  func(context.Context, Attempt) // WithAttemptHook's, or nil
}

// WithAPIToken authenticates with the user's API token in the x-api-token header, the
// way Pipedrive's current documentation requires.
//
// Pipedrive's API tokens are 40 hex characters. A token that cannot be one is refused,
// with an error that does not quote it: fewer than 20 characters (too short to redact
// from messages without garbling them and giving it away), a character beyond printable
// ASCII, or any whitespace or control character. A trailing line break, as a token file
// read with os.ReadFile ends with, is trimmed.
func WithAPIToken(token string) Option {
	return func(c *config) error {
		token, err := cleanToken(token)
		if err != nil {
			return fmt.Errorf("pipedrive: WithAPIToken: %w", err)
		}
		c.creds = append(c.creds, newHeaderToken(token))
		return nil
	}
}

// WithAPITokenInQuery authenticates with the API token in the api_token query parameter,
// as Pipedrive's remote-files tutorial shows. Discouraged: a token in a URL ends up in
// access logs and proxies. Prefer WithAPIToken. This client strips it from every error.
// The token is checked (and a trailing line break trimmed) as WithAPIToken does.
func WithAPITokenInQuery(token string) Option {
	return func(c *config) error {
		token, err := cleanToken(token)
		if err != nil {
			return fmt.Errorf("pipedrive: WithAPITokenInQuery: %w", err)
		}
		c.creds = append(c.creds, newQueryToken(token))
		return nil
	}
}

// WithTokenSource authenticates with OAuth 2.0 bearer tokens from ts, refreshed through
// golang.org/x/oauth2 when they expire (see OAuthEndpoint). When the token carries
// Pipedrive's api_domain and neither WithBaseURL nor WithCompanyDomain was given,
// requests go to api_domain + "/api/v1".
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("pipedrive: WithTokenSource: token source is nil")
		}
		c.creds = append(c.creds, newBearer(oauth2.ReuseTokenSource(nil, nonNilSource{ts})))
		return nil
	}
}

// dnsLabel is one DNS label: letters, digits and inner hyphens, at most 63 characters.
var dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// WithCompanyDomain sends requests to https://{company}.pipedrive.com/api/v1, which
// Pipedrive recommends because it routes to the company's data centre. company is the
// subdomain alone ("acme"), not a host name or URL.
func WithCompanyDomain(company string) Option {
	return func(c *config) error {
		if !dnsLabel.MatchString(company) {
			return fmt.Errorf("pipedrive: WithCompanyDomain: %q is not a DNS label (want the subdomain alone, e.g. \"acme\")", company)
		}
		c.company = strings.ToLower(company)
		return nil
	}
}

// WithBaseURL sends requests to base, which must be an absolute https URL, e.g.
// "https://acme.pipedrive.com/api/v1", without credentials, query or fragment. Plain http
// is accepted only for a loopback host (localhost, 127.0.0.0/8, ::1), such as a test
// server's URL: anywhere else the token would cross the network unencrypted. An error
// never quotes base, nor the part of it that is wrong, as a secret may have been pasted
// there.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := url.Parse(base)
		if err != nil {
			// Not wrapped: url.Parse's error quotes the input, or the port or host it
			// chokes on, which may hold a secret. Keep only what kind of mistake it is.
			return fmt.Errorf("pipedrive: WithBaseURL: not a valid URL: %s", urlProblem(err))
		}
		if err := checkBase(u); err != nil {
			return fmt.Errorf("pipedrive: WithBaseURL: %w", err)
		}
		c.baseURL = strings.TrimRight(u.String(), "/")
		return nil
	}
}

// urlProblem says what url.Parse found wrong without its text, which may quote the whole
// URL or a part of it (the port, a bracketed host). Only a bad %-escape (3 characters) or
// the one bad character of a host name is quoted: too little to give a secret away.
func urlProblem(err error) string {
	var escErr url.EscapeError
	var hostErr url.InvalidHostError
	switch msg := err.Error(); {
	case errors.As(err, &escErr) && len(escErr) <= 3:
		return escErr.Error()
	case errors.As(err, &hostErr) && len(hostErr) <= 4:
		return hostErr.Error()
	case strings.Contains(msg, "invalid port"):
		return "invalid port"
	case strings.Contains(msg, "invalid host"), strings.Contains(msg, "missing ']'"):
		return "invalid host"
	case strings.Contains(msg, "control character"):
		return "control character in URL"
	case strings.Contains(msg, "missing protocol scheme"), strings.Contains(msg, "first path segment in URL cannot contain colon"):
		return "no scheme"
	}
	return "url.Parse refused it"
}

// checkBase accepts absolute https URLs (http for a loopback host) without credentials,
// query or fragment. Its errors do not quote the URL.
func checkBase(u *url.URL) error {
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("scheme is not http or https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("URL has no host")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return errors.New("http is allowed only for a loopback host; use https")
	case u.User != nil:
		return errors.New("URL must not carry credentials")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("URL must not have a query or fragment")
	}
	return nil
}

// WithHTTPClient sends requests through a copy of hc, so the caller's client is never
// modified. Its Transport, Timeout and Jar are used as given; its CheckRedirect is not:
// the copy never follows a redirect, whatever hc's says, and hc's is never called. A
// followed redirect would replay the token to wherever it points, turn a POST into a GET
// whose answer would pass for a created file, or send a POST twice; instead the 3xx is
// returned as an *APIError, which after a POST matches ErrOutcomeUnknown.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("pipedrive: WithHTTPClient: client is nil")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithUserAgent puts the caller's product token (e.g. "acme-crm-sync/1.2") in front of
// the library's own in the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		ua = strings.TrimSpace(ua)
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("pipedrive: WithUserAgent: must be non-empty text on one line")
		}
		c.userAgent = ua
		return nil
	}
}

// WithRetry sets the retry policy; WithRetry(NoRetry) turns retries and pacing off.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		switch {
		case p.MaxRetries < 0:
			return fmt.Errorf("pipedrive: WithRetry: MaxRetries must not be negative, got %d", p.MaxRetries)
		case p.MaxWait < 0:
			return fmt.Errorf("pipedrive: WithRetry: MaxWait must not be negative, got %s", p.MaxWait)
		case p.BaseDelay < 0:
			return fmt.Errorf("pipedrive: WithRetry: BaseDelay must not be negative, got %s", p.BaseDelay)
		}
		c.retry = p
		return nil
	}
}

// WithLogger logs one debug line per attempt (operation, status, attempt, wait,
// remaining budget, duration) to l. Tokens are never logged. Off by default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("pipedrive: WithLogger: logger is nil")
		}
		c.logger = l
		return nil
	}
}

// WithClock replaces the clock used for rate-limit waits, so tests need not sleep.
func WithClock(clk Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("pipedrive: WithClock: clock is nil")
		}
		c.clock = clk
		return nil
	}
}

// RateLimiter is a limiter a Client waits for before every request (WithRateLimiter).
// A *golang.org/x/time/rate.Limiter is one, shared by the clients of one process; a
// limiter backed by a store the processes share, such as the Redis one of package
// pipedrive/redislimit, keeps several processes on one token inside its rate limit.
type RateLimiter interface {
	// Wait blocks until a request may be sent, or returns an error when none may: the
	// request is then not sent, and the call fails with that error. It returns early,
	// with an error, when ctx ends.
	Wait(ctx context.Context) error
}

// WithRateLimiter makes every request, retries included, wait for l; l may be a
// *golang.org/x/time/rate.Limiter, for example one shared by all the clients that use the
// same token in this process, or a *redislimit.Limiter (package pipedrive/redislimit)
// shared through Redis by several processes. l is the last wait, after the client's own
// pacing (which still learns from every answer's headers and 429s), so that a request goes
// out when l says: a turn l gives is not spent waiting for the pacing, and a call the
// pacing refuses takes none. If Wait fails, the call fails with that error, unsent. l is
// consulted even with WithRetry(NoRetry), which turns only the client's own pacing off.
func WithRateLimiter(l RateLimiter) Option {
	return func(c *config) error {
		// A nil *rate.Limiter in the interface is not == nil, and would panic on the
		// first call rather than here.
		if v := reflect.ValueOf(l); l == nil || v.Kind() == reflect.Pointer && v.IsNil() {
			return errors.New("pipedrive: WithRateLimiter: limiter is nil")
		}
		c.limiter = l
		return nil
	}
}
