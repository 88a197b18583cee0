package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
	dialed         []string        // the addresses its HTTP client connected to, in order
	waits          []time.Duration // the retry waits its client asked for
}

// runWith runs the command in-process with exactly the given environment. Its client
// connects to loopback addresses only, so that no test can send a token to a real host
// however the command's choice of base URL breaks, and its waits take no time.
func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runWithContext(t, context.Background(), env, args...)
}

// runWithContext is runWith under ctx, which stands for the signals main turns into a
// cancellation.
func runWithContext(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	return runWithClock(t, ctx, pipedrivetest.NewClock(time.Now()), env, args...)
}

// runWithClock is runWithContext with the clock the client and bulk's engine wait on,
// which a test may share with a fake server.
func runWithClock(t *testing.T, ctx context.Context, clk *pipedrivetest.Clock, env map[string]string, args ...string) result {
	t.Helper()
	return runThrough(t, ctx, clk, nil, env, args...)
}

// runThrough is runWithClock with the client's transport wrapped by wrap (nil: as is).
func runThrough(t *testing.T, ctx context.Context, clk *pipedrivetest.Clock, wrap func(http.RoundTripper) http.RoundTripper, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	hc, dialed := loopbackOnly(t)
	if wrap != nil {
		hc.Transport = wrap(hc.Transport)
	}
	code := run(ctx, &env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Clock: clk,
		Options: []pipedrive.Option{pipedrive.WithHTTPClient(hc)}}, args)
	return result{code, stdout.String(), stderr.String(), dialed(), clk.Sleeps()}
}

// loopbackOnly returns an HTTP client that refuses to connect anywhere but a loopback IP
// address, and a function listing the addresses it connected to.
func loopbackOnly(t *testing.T) (*http.Client, func() []string) {
	var (
		mu     sync.Mutex
		dialed []string
		d      net.Dialer
	)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a proxy from the environment would be connected to instead
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test client refuses to connect to %s: not a loopback address", addr)
		}
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(dialed)
	}
}

// hostOf is srv's host:port, as the client dials it.
func hostOf(t *testing.T, srv *pipedrivetest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	return u.Host
}

func TestLoopbackOnlyRefusesOtherHosts(t *testing.T) {
	hc, dialed := loopbackOnly(t)
	for _, target := range []string{"https://acme.pipedrive.com/api/v1/files/remote", "http://192.0.2.1/", "http://localhost:1/"} {
		req, err := http.NewRequest(http.MethodPost, target, strings.NewReader("x=1"))
		require.NoError(t, err)
		_, err = hc.Do(req)
		require.ErrorContains(t, err, "not a loopback address", target)
	}
	assert.Empty(t, dialed())
}

// envFor points the command at srv through the environment.
func envFor(srv *pipedrivetest.Server) map[string]string {
	return map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_BASE_URL": srv.URL()}
}

// noToken fails if the token shows up in anything the command printed.
func noToken(t *testing.T, r result, token string) {
	t.Helper()
	assert.NotContains(t, r.stdout, token)
	assert.NotContains(t, r.stderr, token)
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := runWith(t, nil, args...)
		require.Equal(t, exitOK, r.code, args)
		for _, code := range []int{exitOK, exitAPI, exitUsage, exitUnknown, exitInterrupted} {
			assert.Regexp(t, fmt.Sprintf(`\n  %-3d  \S`, code), r.stdout, "exit code %d is documented", code)
		}
		assert.Contains(t, r.stdout, "Exit status:\n  0    success\n  1    Pipedrive refused or failed the call")
		assert.Contains(t, r.stdout, "  3    outcome unknown")
		assert.Contains(t, r.stdout, "--timeout DURATION")
		assert.Contains(t, r.stdout, "pipedrive-files version\n")
		assert.Contains(t, r.stdout, "PIPEDRIVE_API_TOKEN")
		assert.Empty(t, r.stderr)
	}
	r := runWith(t, nil, "create", "-h")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: pipedrive-files create")
	assert.Contains(t, r.stdout, "-title string")
	r = runWith(t, nil, "help", "link")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: pipedrive-files link")
	assert.Contains(t, r.stdout, "-remote-id string")
	r = runWith(t, nil, "demo", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: pipedrive-files demo")

	r = runWith(t, nil)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "Usage:")
	r = runWith(t, nil, "upload")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pipedrive-files: unknown command \"upload\": want create, link, list, files, get, update, delete, bulk, serve-fake, demo, version or help\n", r.stderr)
}

func TestCreateOnTheFake(t *testing.T) {
	r := runWith(t, nil, "create", "--fake", "--type", "gsheet", "--title", "Budget 2026", "--deal", "12")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	assert.Equal(t, `Created Google Sheet "Budget 2026" (file 1) on deal 12 "Acme website redesign".`, lines[0])
	assert.Regexp(t, `^  Drive id        1[A-Za-z0-9_-]{43}$`, lines[1])
	assert.Regexp(t, `^  Open            https://docs\.google\.com/spreadsheets/d/1[A-Za-z0-9_-]{43}/edit$`, lines[2])
	assert.Equal(t, "  Download        https://app.pipedrive.com/api/v1/files/1/download", lines[3])
	assert.Equal(t, `  Also linked to  person 5 "John Doe", organization 1 "Acme Corp"`, lines[4])
	assert.Regexp(t, `^  Added           \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, lines[5])
	assert.Regexp(t, `^pipedrive-files: using a fake Pipedrive at http://127\.0\.0\.1:\d+/api/v1 \(--fake\)\n$`, r.stderr)
}

func TestLinkOnTheFakeAsJSON(t *testing.T) {
	r := runWith(t, nil, "link", "--fake", "--json", "--url", "https://docs.google.com/document/u/1/d/123magicfile123/edit#heading", "--org", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	var f pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.Equal(t, int64(1), f.ID)
	assert.Equal(t, "123magicfile123", f.RemoteID)
	assert.Equal(t, "Price list", f.Name)
	assert.Equal(t, "Price list", f.FileName)
	assert.Equal(t, int64(2), f.OrgID)
	assert.Equal(t, "Globex", f.OrgName)
	assert.False(t, f.AddTime.IsZero())
	assert.NotContains(t, r.stdout, "fake", "stdout holds the JSON only")
	// Pipedrive's field names and time layout, not Go's.
	assert.Contains(t, r.stdout, `"remote_id": "123magicfile123",`)
	assert.Contains(t, r.stdout, `"org_id": 2,`)
	assert.Regexp(t, `"add_time": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",`, r.stdout)
	assert.NotContains(t, r.stdout, `"RemoteID"`)

	r = runWith(t, nil, "link", "--fake", "--remote-id", "123magicfile123", "--person", "6")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `Linked Google Doc "Price list" (file 1) to person 6 "Jane Roe".`+"\n"), r.stdout)
}

// Every mistake in the flags or the request is exit 2 with the flag named, and nothing
// reaches the server.
func TestUsageErrorsNameTheFlagAndSendNothing(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	env := envFor(srv)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"create", "--deal", "12"}, "pipedrive-files create: --title is required\n"},
		{[]string{"create", "--title", "   ", "--deal", "12"}, "pipedrive-files create: --title: must contain a visible character (white space and invisible characters such as U+200B do not count)\n"},
		{[]string{"create", "--title", "x", "--type", "docx", "--deal", "12"}, `pipedrive-files create: --type: must be one of "gdoc", "gslides", "gsheet", "gform", "gdraw", got "docx"` + "\n"},
		{[]string{"create", "--title", "x"}, "pipedrive-files create: one of --deal, --person or --org is required\n"},
		{[]string{"create", "--title", "x", "--deal", "1", "--org", "2"}, "pipedrive-files create: give only one of --deal, --person and --org\n"},
		{[]string{"create", "--title", "x", "--person", "0"}, "pipedrive-files create: --person: must be a positive item id\n"},
		{[]string{"create", "--title", "x", "--org", "-3"}, "pipedrive-files create: --org: must be a positive item id\n"},
		{[]string{"create", "--title", "x", "--deal", "twelve"}, `pipedrive-files create: invalid value "twelve" for flag -deal: parse error` + "\n"},
		{[]string{"create", "--title", "x", "--deal", "12", "--token", "t"}, "pipedrive-files create: flag provided but not defined: -token\n"},
		{[]string{"create", "--title", "x", "--deal", "12", "--timeout", "0"}, `pipedrive-files create: invalid value "0" for flag -timeout: must be a positive duration such as 30s or 2m` + "\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--timeout", "-1s"}, `pipedrive-files link: invalid value "-1s" for flag -timeout: must be a positive duration such as 30s or 2m` + "\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--timeout", "10"}, `pipedrive-files link: invalid value "10" for flag -timeout: must be a positive duration such as 30s or 2m` + "\n"},
		{[]string{"version", "now"}, `pipedrive-files version: version takes no arguments, got "now"` + "\n"},
		{[]string{"create", "--title", "Big", "proposal", "--deal", "12"}, `pipedrive-files create: unexpected argument "proposal" (quote values that contain spaces)` + "\n"},
		{[]string{"link", "--deal", "12"}, "pipedrive-files link: one of --remote-id or --url is required\n"},
		{[]string{"link", "--remote-id", "a", "--url", "https://docs.google.com/document/d/a/edit", "--deal", "12"}, "pipedrive-files link: give only one of --remote-id and --url\n"},
		{[]string{"link", "--remote-id", "docs.google.com/document/d/abc", "--deal", "12"},
			`pipedrive-files link: --remote-id: must be a Google Drive file id of letters, digits, '-' and '_', not a URL or path (it contains "."); pass a URL with --url instead` + "\n"},
		{[]string{"link", "--remote-id", "", "--deal", "12"}, "pipedrive-files link: --remote-id: must not be empty\n"},
		{[]string{"link", "--url", "https://example.com/d/abc", "--deal", "12"}, "pipedrive-files link: --url: is not a docs.google.com or drive.google.com URL\n"},
		{[]string{"link", "--remote-id", "abc"}, "pipedrive-files link: one of --deal, --person or --org is required\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--fake", "--base-url", srv.URL()}, "pipedrive-files link: --fake cannot be combined with --company-domain or --base-url\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--company-domain", "acme", "--base-url", srv.URL()}, "pipedrive-files link: --company-domain and --base-url both set the base URL: give only one\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--company-domain", "acme.pipedrive.com"}, `pipedrive-files link: --company-domain: pipedrive: WithCompanyDomain: "acme.pipedrive.com" is not a DNS label (want the subdomain alone, e.g. "acme")` + "\n"},
		{[]string{"link", "--remote-id", "abc", "--deal", "12", "--base-url", "ftp://example.com"}, `pipedrive-files link: --base-url: pipedrive: WithBaseURL: scheme is not http or https` + "\n"},
		{[]string{"list"}, "pipedrive-files list: one of --deal, --person or --org is required\n"},
		{[]string{"list", "--deal", "0"}, "pipedrive-files list: --deal: must be a positive item id\n"},
		{[]string{"list", "--deal", "12", "--title", "x"}, "pipedrive-files list: flag provided but not defined: -title\n"},
		{[]string{"demo", "now"}, `pipedrive-files demo: demo takes no arguments, got "now"` + "\n"},
		{[]string{"demo", "--fake"}, `pipedrive-files demo: demo takes no arguments, got "--fake"` + "\n"}, // the README says so
	} {
		r := runWith(t, env, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		cmd := tc.args[0]
		assert.Equal(t, tc.msg+"Run 'pipedrive-files "+cmd+" -h' for usage.\n", r.stderr, tc.args)
		assert.Empty(t, r.stdout, tc.args)
		assert.Empty(t, r.dialed, tc.args)
		noToken(t, r, srv.Token())
	}
	assert.Empty(t, srv.Requests(), "no usage error sends a request")
}

func TestEnvironment(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	args := []string{"create", "--title", "Proposal", "--deal", "12"}

	// Token and base URL from the environment; the token is sent, never printed.
	r := runWith(t, envFor(srv), args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{hostOf(t, srv)}, r.dialed)
	noToken(t, r, srv.Token())
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.True(t, strings.HasPrefix(reqs[0].Header.Get("User-Agent"), "pipedrive-files/"+pipedrive.Version+" pipedrive-remote-files-go/"), reqs[0].Header.Get("User-Agent"))
	assert.Equal(t, pipedrivetest.Redacted, reqs[0].Header.Get("X-Api-Token"))
	assert.Empty(t, reqs[0].Query, "the token is not put in the URL")

	// Flags override the environment: PIPEDRIVE_BASE_URL points at a decoy fake and
	// PIPEDRIVE_COMPANY_DOMAIN at a real host (which runWith's client refuses to connect
	// to); --base-url wins over both.
	decoy := pipedrivetest.NewServer()
	defer decoy.Close()
	env := map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_BASE_URL": decoy.URL()}
	r = runWith(t, env, append(args, "--base-url", srv.URL())...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{hostOf(t, srv)}, r.dialed)
	env = map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_COMPANY_DOMAIN": "acme"}
	r = runWith(t, env, append(args, "--base-url", srv.URL())...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{hostOf(t, srv)}, r.dialed)
	assert.Len(t, srv.Requests(), 3)
	assert.Empty(t, decoy.Requests())

	// Missing or conflicting environment is a usage error naming the variables.
	r = runWith(t, map[string]string{"PIPEDRIVE_BASE_URL": srv.URL()}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "PIPEDRIVE_API_TOKEN is not set")
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": "has space", "PIPEDRIVE_BASE_URL": srv.URL()}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pipedrive-files create: PIPEDRIVE_API_TOKEN: pipedrive: WithAPIToken: token contains whitespace or control characters\nRun 'pipedrive-files create -h' for usage.\n", r.stderr)
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_BASE_URL": srv.URL(), "PIPEDRIVE_COMPANY_DOMAIN": "acme"}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "PIPEDRIVE_COMPANY_DOMAIN and PIPEDRIVE_BASE_URL both set the base URL")
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_BASE_URL": "not a url"}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "create: PIPEDRIVE_BASE_URL: pipedrive: WithBaseURL:")
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": "has space", "PIPEDRIVE_COMPANY_DOMAIN": "acme.pipedrive.com"}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "create: PIPEDRIVE_API_TOKEN: pipedrive: WithAPIToken:", "the first mistake is reported")
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_COMPANY_DOMAIN": "acme.pipedrive.com"}, args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "create: PIPEDRIVE_COMPANY_DOMAIN: pipedrive: WithCompanyDomain:")
	assert.Len(t, srv.Requests(), 3)
}

func TestAPIErrorsExitOne(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()

	r := runWith(t, envFor(srv), "create", "--title", "x", "--deal", "999")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files create: Pipedrive answered 404 Not Found to POST /files/remote: Deal not found\n", r.stderr)
	assert.Empty(t, r.stdout)

	wrong := "0123456789abcdef0123456789abcdef01234567"
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": wrong, "PIPEDRIVE_BASE_URL": srv.URL()}, "link", "--remote-id", "123magicfile123", "--person", "5")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files link: Pipedrive answered 401 Unauthorized to GET /persons/{id}/files: unauthorized access\n", r.stderr, "link looks first")
	noToken(t, r, wrong)
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": wrong, "PIPEDRIVE_BASE_URL": srv.URL()}, "link", "--no-check", "--remote-id", "123magicfile123", "--person", "5")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files link: Pipedrive answered 401 Unauthorized to POST /files/remoteLink: unauthorized access\n", r.stderr)
	noToken(t, r, wrong)

	srv.FailNext(http.StatusServiceUnavailable, `{"success":false,"error":"Service under maintenance"}`)
	r = runWith(t, envFor(srv), "create", "--title", "x", "--deal", "12")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files create: Pipedrive answered 503 Service Unavailable to POST /files/remote: Service under maintenance\n"+
		"Looked at the item's files: no such file, so the create most likely did not take effect. Check with 'pipedrive-files list --deal 12' before running this again.\n", r.stderr)
	assert.Empty(t, srv.Files())

	srv.FailNext(http.StatusForbidden, "<html>blocked</html>")
	r = runWith(t, envFor(srv), "create", "--title", "x", "--deal", "12")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files create: Pipedrive answered 403 Forbidden to POST /files/remote: (no error message in the response)\n", r.stderr)

	spent := pipedrivetest.NewServer(pipedrivetest.WithDailyBudget(0))
	defer spent.Close()
	r = runWith(t, envFor(spent), "create", "--title", "x", "--deal", "12")
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stderr, "Pipedrive answered 429 Too Many Requests to POST /files/remote: Request over limit: the daily rate limit is spent.")
	assert.Contains(t, r.stderr, "Rate limited: try again in ")

	// Nothing listens on loopback port 1, a privileged port that no test can take (unlike
	// the port of a closed server, which another package's test may bind meanwhile): the
	// connection is refused, retried three times, and reported as nothing sent.
	const refused = "127.0.0.1:1"
	r = runWith(t, map[string]string{"PIPEDRIVE_API_TOKEN": srv.Token(), "PIPEDRIVE_BASE_URL": "http://" + refused + "/api/v1"}, "create", "--title", "x", "--deal", "12")
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stderr, "nothing was sent")
	assert.Contains(t, r.stderr, "connection refused")
	assert.NotContains(t, r.stderr, "may have been created")
	assert.Equal(t, []string{refused, refused, refused, refused}, r.dialed, "the first attempt and 3 retries")
	assert.Len(t, r.waits, 3)
	noToken(t, r, srv.Token())
}
