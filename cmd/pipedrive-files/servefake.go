package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

const serveFakeHelp = `Usage: pipedrive-files serve-fake [--addr 127.0.0.1:0] [--token T] [--rate-limit N/WINDOW] [--daily-budget TOKENS]

Runs the fake Pipedrive of package pipedrivetest as a server, so that bulk, scripts in any
language and curl can use it across runs. It prints two lines to standard output, then
closes it:

  PIPEDRIVE_BASE_URL=http://127.0.0.1:PORT/api/v1
  PIPEDRIVE_API_TOKEN=...

so that a shell can take them in, e.g.
  eval "$(pipedrive-files serve-fake 2>fake.log &)"; export PIPEDRIVE_BASE_URL PIPEDRIVE_API_TOKEN
Then it logs one line per request to standard error (the token redacted) and serves until
SIGINT or SIGTERM. It knows deals 12 and 13, persons 5 and 6, organizations 1 and 2 and
the Drive file 123magicfile123; everything lives in memory and ends with the process.

Flags:
`

// serveFakeFlags are serve-fake's flags.
type serveFakeFlags struct {
	addr      string
	token     string
	rateLimit string
	daily     int
}

// runServeFake is the serve-fake command: a pipedrivetest server until ctx is done.
func runServeFake(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve-fake", flag.ContinueOnError)
	var f serveFakeFlags
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "the address to listen on; port 0 picks a free one")
	fs.StringVar(&f.token, "token", "", "the API token the fake accepts (default: a random one)")
	fs.StringVar(&f.rateLimit, "rate-limit", "", "the burst limit, N requests per WINDOW, e.g. 20/2s (default 10000/2s)")
	fs.IntVar(&f.daily, "daily-budget", 0, "the daily budget in tokens (each POST costs 10, each list 20)")
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
	log := &requestLog{w: stderr}
	// Requests are logged, not kept: a fake serving for days must not grow with each one.
	srv := pipedrivetest.NewServer(append(opts, pipedrivetest.WithListener(l), pipedrivetest.WithRequestHook(log.print), pipedrivetest.WithRequestHistory(0))...)
	defer srv.Close()
	if !isLoopback(l.Addr()) {
		log.printf("pipedrive-files serve-fake: listening on %s, reachable from other hosts: its token travels in clear over HTTP", l.Addr())
	}
	base := baseURL(l.Addr(), f.addr)
	if _, err := fmt.Fprintf(stdout, "PIPEDRIVE_BASE_URL=%s\nPIPEDRIVE_API_TOKEN=%s\n", base, srv.Token()); err != nil {
		return report(stderr, "serve-fake", err)
	}
	// Closing stdout ends a reader waiting for its end, as $(...) does; the log goes to
	// stderr.
	if c, ok := stdout.(io.Closer); ok {
		_ = c.Close()
	}
	log.printf("pipedrive-files serve-fake: serving %s (pid %d); stop it with Ctrl-C or kill %d", base, os.Getpid(), os.Getpid())
	<-ctx.Done()
	srv.Close()
	fmt.Fprintf(stderr, "pipedrive-files serve-fake: stopped after %d requests\n", log.count())
	return exitOK
}

// options turns the flags into the server's options; the error names the flag.
func (f *serveFakeFlags) options(set map[string]bool) ([]pipedrivetest.Option, error) {
	var opts []pipedrivetest.Option
	if set["token"] {
		if f.token == "" || strings.IndexFunc(f.token, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return nil, usagef("--token: must be printable ASCII without spaces")
		}
		opts = append(opts, pipedrivetest.WithToken(f.token))
	}
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
	return opts, nil
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
	mu sync.Mutex
	w  io.Writer
	n  int
}

// print logs r: time, method, path, query (api_token redacted) and status.
func (l *requestLog) print(r pipedrivetest.Request) {
	target := r.Path
	if len(r.Query) > 0 {
		target += "?" + strings.ReplaceAll(r.Query.Encode(), "%5BREDACTED%5D", pipedrivetest.Redacted)
	}
	l.printf("%s %s %s %d", time.Now().UTC().Format(time.RFC3339), r.Method, target, r.Status)
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
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
