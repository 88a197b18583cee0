package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

const serveFakeHelp = `Usage: pipedrive-files serve-fake [--addr 127.0.0.1:0] [--token T] [--plan PLAN] [--rate-limit N/WINDOW] [--daily-budget TOKENS] [--fixtures FILE]

Runs the fake Pipedrive of package pipedrivetest as a server, so that bulk, the other
commands, scripts in any language (the official SDKs included) and curl can use it across
runs: it answers the remote-file POSTs, the item file lists, GET /files and GET, PUT and
DELETE /files/{id}, and keeps the files between requests. It prints two lines to standard output, then
closes it:

  PIPEDRIVE_BASE_URL=http://127.0.0.1:PORT/api/v1
  PIPEDRIVE_API_TOKEN=...

so that a shell can take them in, e.g.
  eval "$(pipedrive-files serve-fake 2>fake.log &)"; export PIPEDRIVE_BASE_URL PIPEDRIVE_API_TOKEN
Then it logs one line per request to standard error (the token redacted wherever it
appears) and serves until SIGINT or SIGTERM. Everything lives in memory and ends with the
process.

Rate limits are those Pipedrive documents for API tokens on the plan --plan names
(https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting), per 2 seconds and
per day (a POST or PUT costs 10 tokens, a list page 20, a GET of one file 2, a DELETE 6;
one seat):

  essential      20 requests, 30000 tokens (the default: the lowest limits, so a run
                 that keeps within them keeps within every plan's)
  advanced       40 requests, 60000 tokens
  professional   80 requests, 90000 tokens
  power         100 requests, 150000 tokens
  enterprise    120 requests, 210000 tokens

--rate-limit and --daily-budget override the plan's figures, e.g. --daily-budget for a
company with more seats.

Items: deals 12 and 13, persons 5 and 6, organizations 1 and 2 and the Drive file
123magicfile123; or, with --fixtures FILE, only those a JSON file lists:

  {"deals": [101, 102], "persons": [7], "organizations": [3],
   "drive_files": [{"id": "123magicfile123", "name": "Price list"}]}

(deal N is titled "Deal N", and so on, each Drive file is a Google Doc; every key may be
left out; ids must be positive and listed once; unknown keys are refused.)

Flags:
`

// serveFakeFlags are serve-fake's flags.
type serveFakeFlags struct {
	addr      string
	token     string
	plan      string
	rateLimit string
	daily     int
	fixtures  string
}

// defaultPlan is the plan whose limits serve-fake applies without --plan: the lowest, so
// that a run that keeps within them keeps within every plan's.
const defaultPlan = pipedrivetest.PlanEssential

// runServeFake is the serve-fake command: a pipedrivetest server until ctx is done.
func runServeFake(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("serve-fake", flag.ContinueOnError)
	var f serveFakeFlags
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "the address to listen on; port 0 picks a free one")
	fs.StringVar(&f.token, "token", "", "the API token the fake accepts (default: a random one)")
	fs.StringVar(&f.plan, "plan", string(defaultPlan), "the Pipedrive `PLAN` whose rate limits apply: "+planNames(", ", " or "))
	fs.StringVar(&f.rateLimit, "rate-limit", "", "the burst limit, N requests per WINDOW, e.g. 100/2s (default: the plan's, 20/2s on essential)")
	fs.IntVar(&f.daily, "daily-budget", 0, "the daily budget in `TOKENS`, each POST or PUT costing 10, each list page 20, a GET of one file 2 and a DELETE 6 (default: the plan's, 30000 on essential)")
	fs.StringVar(&f.fixtures, "fixtures", "", "serve only the deals, persons, organizations and Drive files this JSON `FILE` lists, instead of the built-in ones")
	set, done, err := parse(fs, args, serveFakeHelp, stdout)
	if done || err != nil {
		return report(stderr, "serve-fake", err)
	}
	opts, err := f.options(set)
	if err != nil {
		return report(stderr, "serve-fake", err)
	}
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		return report(stderr, "serve-fake", usagef("--addr: %v", err))
	}
	log := &requestLog{w: stderr, token: f.token}
	// Requests are logged, not kept: a fake serving for days must not grow with each one.
	srv := pipedrivetest.NewServer(append(opts, pipedrivetest.WithListener(l), pipedrivetest.WithRequestHook(log.print), pipedrivetest.WithRequestHistory(0))...)
	defer srv.Close()
	if !isLoopback(l.Addr()) {
		log.printf("pipedrive-files serve-fake: listening on %s, reachable from other hosts: its token travels in clear over HTTP", l.Addr())
	}
	base := baseURL(l.Addr(), f.addr)
	// The log's first lines go before the two lines a client waits for, so that no
	// request's line can come before them.
	log.printf("pipedrive-files serve-fake: serving %s (pid %d); stop it with Ctrl-C or kill %d", base, os.Getpid(), os.Getpid())
	log.printf("pipedrive-files serve-fake: %s", f.limits(set))
	if _, err := fmt.Fprintf(stdout, "PIPEDRIVE_BASE_URL=%s\nPIPEDRIVE_API_TOKEN=%s\n", base, srv.Token()); err != nil {
		return report(stderr, "serve-fake", err)
	}
	// Closing stdout ends a reader waiting for its end, as $(...) does; the log goes to
	// stderr.
	if c, ok := stdout.(io.Closer); ok {
		_ = c.Close()
	}
	<-ctx.Done()
	srv.Close()
	fmt.Fprintf(stderr, "pipedrive-files serve-fake: stopped after %d requests\n", log.count())
	return exitOK
}

// options turns the flags into the server's options; the error names the flag. Without
// --token it picks a random one here, so that the request log knows what to redact before
// the first request.
func (f *serveFakeFlags) options(set map[string]bool) ([]pipedrivetest.Option, error) {
	var opts []pipedrivetest.Option
	if set["token"] {
		if len(f.token) < 20 || strings.IndexFunc(f.token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return nil, usagef("--token: must be at least 20 characters of printable ASCII without spaces, as clients require")
		}
	} else {
		f.token = randomToken()
	}
	opts = append(opts, pipedrivetest.WithToken(f.token))
	plan, err := pipedrivetest.ParsePlan(f.plan)
	if err != nil {
		return nil, usageCause(err, "--plan: unknown plan %q: want %s", f.plan, planNames(", ", " or "))
	}
	opts = append(opts, pipedrivetest.WithPlan(plan))
	// After the plan, so that these replace its figures.
	if set["rate-limit"] {
		n, window, err := parseRate(f.rateLimit)
		if err != nil {
			return nil, err
		}
		opts = append(opts, pipedrivetest.WithRateLimit(n, window))
	}
	if set["daily-budget"] {
		if f.daily < 0 {
			return nil, usagef("--daily-budget: must not be negative, got %d", f.daily)
		}
		opts = append(opts, pipedrivetest.WithDailyBudget(f.daily))
	}
	if set["fixtures"] {
		fx, err := readFixtures(f.fixtures)
		if err != nil {
			return nil, err
		}
		opts = append(opts, pipedrivetest.WithFixtures(fx))
	}
	return opts, nil
}

// limits describes the rate limits the flags set, and where each comes from.
func (f *serveFakeFlags) limits(set map[string]bool) string {
	plan := pipedrivetest.Plan(f.plan)
	burst := fmt.Sprintf("%d requests per %s (plan %s)", plan.BurstLimit(), pipedrivetest.BurstWindow, plan)
	if n, window, err := parseRate(f.rateLimit); set["rate-limit"] && err == nil {
		burst = fmt.Sprintf("%d requests per %s (--rate-limit)", n, window)
	}
	daily := fmt.Sprintf("%d tokens a day (plan %s)", plan.DailyBudget(), plan)
	if set["daily-budget"] {
		daily = fmt.Sprintf("%d tokens a day (--daily-budget)", f.daily)
	}
	return "rate limits " + burst + ", " + daily
}

// planNames lists the plans, e.g. "essential, advanced or enterprise" with sep ", " and
// last " or ".
func planNames(sep, last string) string {
	plans := pipedrivetest.Plans()
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = string(p)
	}
	return strings.Join(names[:len(names)-1], sep) + last + names[len(names)-1]
}

// readFixtures loads the --fixtures file; the error names the flag and the file.
func readFixtures(path string) (pipedrivetest.Fixtures, error) {
	file, err := os.Open(path)
	if err != nil {
		return pipedrivetest.Fixtures{}, usageCause(err, "--fixtures: %v", err)
	}
	defer file.Close()
	fx, err := pipedrivetest.LoadFixtures(file)
	if err != nil {
		return pipedrivetest.Fixtures{}, usageCause(err, "--fixtures %s: %s", path, strings.TrimPrefix(err.Error(), "pipedrivetest: fixtures: "))
	}
	return fx, nil
}

// usageCause is a usage error (exit 2) with the formatted message, which wraps err.
func usageCause(err error, format string, args ...any) error {
	return &serveFakeUsage{&usageError{msg: fmt.Sprintf(format, args...)}, err}
}

// serveFakeUsage is a usage error (exit 2) that keeps the error behind it for errors.Is and
// errors.As.
type serveFakeUsage struct {
	usage *usageError // its message, which names the flag, is what report prints
	err   error
}

// Error is the usage error's message.
func (e *serveFakeUsage) Error() string { return e.usage.Error() }

// Unwrap returns the usage error, which makes it exit 2, and the error behind it.
func (e *serveFakeUsage) Unwrap() []error { return []error{e.usage, e.err} }

// randomToken returns 40 hex digits, the shape of a Pipedrive API token.
func randomToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// parseRate reads N/WINDOW, e.g. "20/2s".
func parseRate(s string) (int, time.Duration, error) {
	count, window, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return 0, 0, usagef("--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got %q", s)
	}
	d, err := time.ParseDuration(window)
	if err != nil || d <= 0 {
		return 0, 0, usagef("--rate-limit: want N/WINDOW with WINDOW a positive duration, e.g. 20/2s; got %q", s)
	}
	return n, d, nil
}

// baseURL is the fake's base URL for a client on this host. A listener on every address
// has none to connect to (Go reports 0.0.0.0 as [::], a dual-stack socket): it is reached
// through 127.0.0.1, or [::1] when --addr (given) named an IPv6 host.
func baseURL(addr net.Addr, given string) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + pipedrivetest.BasePath
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if host, _, err := net.SplitHostPort(given); err == nil && strings.Contains(host, ":") {
			ip = netip.IPv6Loopback()
		}
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String() + pipedrivetest.BasePath
}

// isLoopback reports whether addr is a loopback address.
func isLoopback(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().IsLoopback()
}

// requestLog writes one line per request the fake answers.
type requestLog struct {
	mu    sync.Mutex
	w     io.Writer
	token string // redacted wherever it appears
	n     int
}

// print logs r: time, method, path, query and status, with the token redacted wherever it
// appears: in the path, in a query parameter's name or value (whichever parameter carries
// it, not only api_token), and in their escaped forms.
func (l *requestLog) print(r pipedrivetest.Request) {
	escapedRedacted := url.QueryEscape(pipedrivetest.Redacted) // the same in a path
	target := (&url.URL{Path: l.redact(r.Path)}).EscapedPath()
	if len(r.Query) > 0 {
		q := make(url.Values, len(r.Query))
		for name, values := range r.Query {
			name = l.redact(name)
			for _, v := range values {
				q[name] = append(q[name], l.redact(v))
			}
		}
		target += "?" + q.Encode()
	}
	target = strings.ReplaceAll(target, escapedRedacted, pipedrivetest.Redacted)
	// Once more over the whole line: an escape such as %2F could spell the token anew.
	l.printf("%s", l.redact(fmt.Sprintf("%s %s %s %d", time.Now().UTC().Format(time.RFC3339), r.Method, target, r.Status)))
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
}

// redact replaces every occurrence of the token in s.
func (l *requestLog) redact(s string) string {
	if l.token == "" {
		return s
	}
	return strings.ReplaceAll(s, l.token, pipedrivetest.Redacted)
}

// printf writes one line; requests are logged from many goroutines.
func (l *requestLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}

// count is the number of requests logged.
func (l *requestLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
