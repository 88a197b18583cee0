package main

import (
	"fmt"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// userAgent identifies the command in front of the library's own User-Agent.
const userAgent = "pipedrive-files/" + pipedrive.Version

// connect builds the client the flags and environment describe, with e's options and
// extra applied last. release stops the fake server, if one was started.
func connect(c common, e *env, extra ...pipedrive.Option) (client *pipedrive.Client, release func(), err error) {
	extra = append(e.clientOptions(), extra...)
	if c.fake {
		if c.companyDomain != "" || c.baseURL != "" {
			return nil, nil, usagef("--fake cannot be combined with --company-domain or --base-url")
		}
		lim, err := c.limits.limiter(e, "", true)
		if err != nil {
			return nil, nil, err
		}
		if lim.option != nil {
			extra = append(extra, lim.option)
		}
		srv := pipedrivetest.NewServer()
		client := srv.Client(append([]pipedrive.Option{pipedrive.WithUserAgent(userAgent)}, extra...)...)
		fmt.Fprintf(e.Stderr, "pipedrive-files: using a fake Pipedrive at %s (--fake)\n", srv.URL())
		return client, srv.Close, nil
	}

	token := e.Getenv("PIPEDRIVE_API_TOKEN")
	if token == "" {
		return nil, nil, usagef("PIPEDRIVE_API_TOKEN is not set: export your Pipedrive API token, or add --fake to try the command without an account")
	}
	opts := []pipedrive.Option{from("PIPEDRIVE_API_TOKEN", pipedrive.WithAPIToken(token)), pipedrive.WithUserAgent(userAgent)}
	base, err := baseOption(c, e.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if base != nil {
		opts = append(opts, base)
	}
	lim, err := c.limits.limiter(e, token, false)
	if err != nil {
		return nil, nil, err
	}
	if lim.option != nil {
		opts = append(opts, lim.option)
	}
	opts = append(opts, extra...)
	// NewClient's errors never contain the token.
	client, err = pipedrive.NewClient(opts...)
	if err != nil {
		lim.close()
		return nil, nil, usagef("%v", err)
	}
	if err := lim.check(); err != nil { // after NewClient, so that a bad flag or token is reported first
		lim.close()
		return nil, nil, err
	}
	return client, lim.close, nil
}

// from makes an option's error start with the flag or variable its value came from. It
// is generic only so that it can wrap a pipedrive.Option, a func of an unexported type.
func from[C any](source string, opt func(C) error) func(C) error {
	return func(c C) error {
		if err := opt(c); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		return nil
	}
}

// baseOption picks the base URL: the flags if either is given, else the environment;
// nil means the library's default. Its error names the flag or variable at fault.
func baseOption(c common, env func(string) string) (pipedrive.Option, error) {
	domainName, urlName := "--company-domain", "--base-url"
	domain, base := c.companyDomain, c.baseURL
	if domain == "" && base == "" {
		domainName, urlName = "PIPEDRIVE_COMPANY_DOMAIN", "PIPEDRIVE_BASE_URL"
		domain, base = strings.TrimSpace(env(domainName)), strings.TrimSpace(env(urlName))
	}
	switch {
	case domain != "" && base != "":
		return nil, usagef("%s and %s both set the base URL: give only one", domainName, urlName)
	case domain != "":
		return from(domainName, pipedrive.WithCompanyDomain(domain)), nil
	case base != "":
		return from(urlName, pipedrive.WithBaseURL(base)), nil
	}
	return nil, nil
}
