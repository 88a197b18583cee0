package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// fakeEnv reads the two lines serve-fake prints first.
func fakeEnv(t *testing.T, r *bufio.Reader) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, key := range []string{"PIPEDRIVE_BASE_URL", "PIPEDRIVE_API_TOKEN"} {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		require.True(t, ok, line)
		require.Equal(t, key, k)
		env[k] = v
	}
	_, err := r.ReadString('\n')
	require.ErrorIs(t, err, io.EOF, "stdout is closed after the two lines")
	return env
}

// rawCreate posts a create as curl would, with the token in the header.
func rawCreate(t *testing.T, env map[string]string, title string) (int, string) {
	t.Helper()
	form := url.Values{"file_type": {"gdoc"}, "item_type": {"deal"}, "item_id": {"12"}, "remote_location": {"googledrive"}, "title": {title}}
	req, err := http.NewRequest(http.MethodPost, env["PIPEDRIVE_BASE_URL"]+"/files/remote", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Api-Token", env["PIPEDRIVE_API_TOKEN"])
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// serve-fake as its own process: the two lines, a file created with raw HTTP and one
// with the library, both seen by list, the log on stderr without the token, and a clean
// stop on SIGINT.
func TestServeFakeAsAProcess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "serve-fake", "--token", "t0k3n-for-the-serve-fake-test", "--rate-limit", "100/2s")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	env := fakeEnv(t, bufio.NewReader(out))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/api/v1$`, env["PIPEDRIVE_BASE_URL"])
	assert.Equal(t, "t0k3n-for-the-serve-fake-test", env["PIPEDRIVE_API_TOKEN"])

	status, body := rawCreate(t, env, "From curl")
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"id":1,`)

	client, err := pipedrive.NewClient(pipedrive.WithBaseURL(env["PIPEDRIVE_BASE_URL"]), pipedrive.WithAPIToken(env["PIPEDRIVE_API_TOKEN"]))
	require.NoError(t, err)
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "From Go", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	assert.Equal(t, int64(2), f.ID)

	r := runWith(t, env, "list", "--deal", "12")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "From curl")
	assert.Contains(t, r.stdout, "From Go")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), stderr.String())
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	require.Len(t, lines, 6, stderr.String())
	assert.Equal(t, fmt.Sprintf("pipedrive-files serve-fake: serving %s (pid %d); stop it with Ctrl-C or kill %d", env["PIPEDRIVE_BASE_URL"], cmd.Process.Pid, cmd.Process.Pid), lines[0])
	assert.Equal(t, "pipedrive-files serve-fake: rate limits 100 requests per 2s (--rate-limit), 30000 tokens a day (plan essential)", lines[1])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ POST /api/v1/files/remote 200$`, lines[2])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ POST /api/v1/files/remote 200$`, lines[3])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ GET /api/v1/deals/12/files\?limit=100&sort=id\+ASC&start=0 200$`, lines[4])
	assert.Equal(t, "pipedrive-files serve-fake: stopped after 3 requests", lines[5])
	assert.NotContains(t, stderr.String(), "t0k3n")
}

// In-process: a token in the query is logged redacted, and the flags are checked.
func TestServeFakeInProcess(t *testing.T) {
	t.Parallel()
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int)
	go func() {
		done <- run(ctx, &env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &stderr, Clock: pipedrive.WallClock()}, []string{"serve-fake", "--daily-budget", "1000"})
	}()
	env := fakeEnv(t, bufio.NewReader(pr))
	assert.Regexp(t, `^[0-9a-f]{40}$`, env["PIPEDRIVE_API_TOKEN"], "a fresh token")

	u := env["PIPEDRIVE_BASE_URL"] + "/files/remote?api_token=" + env["PIPEDRIVE_API_TOKEN"]
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).PostForm(u, url.Values{"file_type": {"gdoc"}, "item_type": {"deal"}, "item_id": {"999"}, "remote_location": {"googledrive"}, "title": {"x"}})
	require.NoError(t, err)
	resp.Body.Close()
	tr.CloseIdleConnections()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	stop()
	assert.Equal(t, exitOK, <-done)
	assert.Regexp(t, `Z POST /api/v1/files/remote\?api_token=\[REDACTED\] 404\n`, stderr.String())
	assert.NotContains(t, stderr.String(), env["PIPEDRIVE_API_TOKEN"])

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	dir := t.TempDir()
	fixtures := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	for _, tc := range []struct{ args, msg string }{
		{"--plan gold", `--plan: unknown plan "gold": want essential, advanced, professional, power or enterprise`},
		{"--plan Essential", `--plan: unknown plan "Essential": want essential, advanced, professional, power or enterprise`},
		{"--fixtures " + filepath.Join(dir, "missing.json"), "--fixtures: open " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{"--fixtures " + fixtures("empty.json", ""), "--fixtures " + filepath.Join(dir, "empty.json") + `: empty input: want a JSON object such as {"deals": [12]}`},
		{"--fixtures " + fixtures("syntax.json", `{"deals": [1,]}`), "--fixtures " + filepath.Join(dir, "syntax.json") + ": invalid JSON at byte 14: invalid character ']' looking for beginning of value"},
		{"--fixtures " + fixtures("unknown.json", `{"deals": [1], "leads": [2]}`), "--fixtures " + filepath.Join(dir, "unknown.json") + `: "leads": unknown field: want "deals", "persons", "organizations" and "drive_files", with "id" and "name" in each drive file`},
		{"--fixtures " + fixtures("zero.json", `{"deals": [12, 0]}`), "--fixtures " + filepath.Join(dir, "zero.json") + ": deals[1]: must be a positive id, got 0"},
		{"--fixtures " + fixtures("dup.json", `{"drive_files": [{"id": "a"}, {"id": "a"}]}`), "--fixtures " + filepath.Join(dir, "dup.json") + `: drive_files[1].id: "a" is listed twice (also drive_files[0])`},
		{"--rate-limit 20", `--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got "20"`},
		{"--rate-limit 0/2s", `--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got "0/2s"`},
		{"--rate-limit 20/soon", `--rate-limit: want N/WINDOW with WINDOW a positive duration, e.g. 20/2s; got "20/soon"`},
		{"--daily-budget -1", "--daily-budget: must not be negative, got -1"},
		{"--token a\tb", "--token: must be at least 20 characters of printable ASCII without spaces, as clients require"},
		{"--token short-but-plain", "--token: must be at least 20 characters of printable ASCII without spaces, as clients require"},
		{"--token a-long-enough-token\twith-a-tab", "--token: must be at least 20 characters of printable ASCII without spaces, as clients require"},
		{"--addr nowhere", "--addr: listen tcp: address nowhere: missing port in address"},
		{"--addr " + busy.Addr().String(), "--addr: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
	} {
		r := runWith(t, nil, append([]string{"serve-fake"}, strings.SplitN(tc.args, " ", 2)...)...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Contains(t, r.stderr, "pipedrive-files serve-fake: "+tc.msg+"\n", tc.args)
		assert.Empty(t, r.stdout, tc.args)
	}
}

// A fake listening on every address prints a URL a client on this host can use.
func TestServeFakeBaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr  net.Addr
		given string
		want  string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "0.0.0.0:0", "http://127.0.0.1:8080/api/v1"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "0.0.0.0:0", "http://127.0.0.1:8080/api/v1"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, ":0", "http://127.0.0.1:8080/api/v1"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "[::]:0", "http://[::1]:8080/api/v1"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1:0", "http://127.0.0.1:8080/api/v1"},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 2), Port: 8080}, "192.168.1.2:8080", "http://192.168.1.2:8080/api/v1"},
	} {
		assert.Equal(t, tc.want, baseURL(tc.addr, tc.given), tc.given)
	}
}

// startFake runs serve-fake in this process with args and returns the two lines it
// printed, and a function that stops it and returns its exit code and its log.
func startFake(t *testing.T, args ...string) (vars map[string]string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int)
	go func() {
		code := run(ctx, &env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: stderr, Clock: pipedrive.WallClock()}, append([]string{"serve-fake"}, args...))
		_ = pw.Close() // a fake that failed to start printed nothing
		done <- code
	}()
	vars = fakeEnv(t, bufio.NewReader(pr))
	var (
		once sync.Once
		code int
	)
	stop = func() (int, string) {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code, stderr.String()
	}
	t.Cleanup(func() { stop() })
	return vars, stop
}

// syncBuffer is a strings.Builder the fake's goroutines may write while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fakeGet sends GET path (under the base URL) with the token in the header, and returns
// the status and the headers.
func fakeGet(t *testing.T, env map[string]string, path string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env["PIPEDRIVE_BASE_URL"]+path, nil)
	require.NoError(t, err)
	req.Header.Set("X-Api-Token", env["PIPEDRIVE_API_TOKEN"])
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// --plan sets the burst limit and the daily budget to the plan's (essential without it);
// --rate-limit and --daily-budget override them, wherever they are given.
func TestServeFakePlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args         string
		limit, daily string // x-ratelimit-limit, x-daily-ratelimit-token-limit
		logged       string
	}{
		{"", "20", "30000", "rate limits 20 requests per 2s (plan essential), 30000 tokens a day (plan essential)"},
		{"--plan essential", "20", "30000", "rate limits 20 requests per 2s (plan essential), 30000 tokens a day (plan essential)"},
		{"--plan advanced", "40", "60000", "rate limits 40 requests per 2s (plan advanced), 60000 tokens a day (plan advanced)"},
		{"--plan professional", "80", "90000", "rate limits 80 requests per 2s (plan professional), 90000 tokens a day (plan professional)"},
		{"--plan power", "100", "150000", "rate limits 100 requests per 2s (plan power), 150000 tokens a day (plan power)"},
		{"--plan enterprise", "120", "210000", "rate limits 120 requests per 2s (plan enterprise), 210000 tokens a day (plan enterprise)"},
		{"--plan power --rate-limit 7/2s", "7", "150000", "rate limits 7 requests per 2s (--rate-limit), 150000 tokens a day (plan power)"},
		{"--rate-limit 7/1s --plan power", "7", "150000", "rate limits 7 requests per 1s (--rate-limit), 150000 tokens a day (plan power)"},
		{"--plan power --daily-budget 500", "100", "500", "rate limits 100 requests per 2s (plan power), 500 tokens a day (--daily-budget)"},
		{"--rate-limit 3/2s --daily-budget 0", "3", "0", "rate limits 3 requests per 2s (--rate-limit), 0 tokens a day (--daily-budget)"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			t.Parallel()
			env, stop := startFake(t, strings.Fields(tc.args)...)
			status, h := fakeGet(t, env, "/deals/12/files")
			wantStatus, wantLeft := http.StatusOK, fmt.Sprint(mustAtoi(t, tc.daily)-20)
			if tc.daily == "0" {
				wantStatus, wantLeft = http.StatusTooManyRequests, "0"
			}
			assert.Equal(t, wantStatus, status)
			assert.Equal(t, tc.limit, h.Get("X-Ratelimit-Limit"))
			assert.Equal(t, tc.daily, h.Get("X-Daily-Ratelimit-Token-Limit"))
			assert.Equal(t, wantLeft, h.Get("X-Daily-Ratelimit-Token-Remaining"))
			code, log := stop()
			assert.Equal(t, exitOK, code)
			assert.Contains(t, log, "\npipedrive-files serve-fake: "+tc.logged+"\n")
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	_, err := fmt.Sscan(s, &n)
	require.NoError(t, err)
	return n
}

// The default plan's burst limit is enforced: 20 requests pass, the 21st is refused.
func TestServeFakeDefaultPlanLimits(t *testing.T) {
	t.Parallel()
	env, _ := startFake(t)
	statuses := map[int]int{}
	for range 21 {
		status, _ := fakeGet(t, env, "/deals/12/files")
		statuses[status]++
	}
	// 21 requests take far less than the 2-second window on any machine that runs the
	// tests; should one straddle two windows, more pass, which this would show.
	assert.Equal(t, map[int]int{http.StatusOK: 20, http.StatusTooManyRequests: 1}, statuses)
}

// --fixtures replaces the built-in items with the file's.
func TestServeFakeFixtures(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"deals": [101, 102], "persons": [7], "drive_files": [{"id": "1PlanSheet_x", "name": "Plan sheet"}]}`), 0o600))
	env, stop := startFake(t, "--fixtures", path)
	for p, want := range map[string]int{
		"/deals/12/files":        http.StatusNotFound,
		"/persons/5/files":       http.StatusNotFound,
		"/organizations/1/files": http.StatusNotFound,
		"/deals/101/files":       http.StatusOK,
		"/deals/102/files":       http.StatusOK,
		"/persons/7/files":       http.StatusOK,
	} {
		status, _ := fakeGet(t, env, p)
		assert.Equal(t, want, status, p)
	}
	client, err := pipedrive.NewClient(pipedrive.WithBaseURL(env["PIPEDRIVE_BASE_URL"]), pipedrive.WithAPIToken(env["PIPEDRIVE_API_TOKEN"]))
	require.NoError(t, err)
	defer client.CloseIdleConnections()
	f, err := client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "1PlanSheet_x", Item: pipedrive.Deal(101)})
	require.NoError(t, err)
	assert.Equal(t, "Plan sheet", f.Name)
	assert.Equal(t, "Deal 101", f.DealName)
	_, err = client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(101)})
	assert.ErrorIs(t, err, pipedrive.ErrNotFound, "the built-in Drive file is gone too")
	code, _ := stop()
	assert.Equal(t, exitOK, code)
}

// The token is redacted wherever a request puts it: in the path, in any query parameter's
// value or name, and percent-encoded.
func TestServeFakeLogRedactsTheTokenEverywhere(t *testing.T) {
	t.Parallel()
	const token = "s3cret-T0KEN-for-the-log-test"
	env, stop := startFake(t, "--token", token)
	q := "api_token=" + token + "&note=before-" + token + "-after&" + token + "=x&enc=s3cret%2DT0KEN%2Dfor-the-log-test"
	req, err := http.NewRequest(http.MethodGet, env["PIPEDRIVE_BASE_URL"]+"/deals/"+token+"/files?"+q, nil)
	require.NoError(t, err)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "the id is no number")
	status, _ := fakeGet(t, env, "/deals/12/files?x="+token)
	assert.Equal(t, http.StatusOK, status)

	code, log := stop()
	assert.Equal(t, exitOK, code)
	assert.Regexp(t, `Z GET /api/v1/deals/\[REDACTED\]/files\?\[REDACTED\]=x&api_token=\[REDACTED\]&enc=\[REDACTED\]&note=before-\[REDACTED\]-after 400\n`, log)
	assert.Regexp(t, `Z GET /api/v1/deals/12/files\?x=\[REDACTED\] 200\n`, log)
	assert.NotContains(t, log, token)
	assert.NotContains(t, strings.ToLower(log), "s3cret")
}

// requestLog redacts a token that escaping changes, and escapes what it prints.
func TestRequestLogRedactsEscapedTokens(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"a+b/c%d", "tok&en=1", "[REDACTED]x", "2F"} {
		var b strings.Builder
		l := &requestLog{w: &b, token: token}
		l.print(pipedrivetest.Request{
			Method: http.MethodGet,
			Path:   "/api/v1/deals/" + token + "/files",
			Query:  url.Values{"v": {token, "x" + token + "y"}, token: {"1"}, "slash": {"/"}},
			Status: http.StatusBadRequest,
		})
		line := b.String()
		assert.NotContains(t, line, token, token)
		for _, escaped := range []string{url.QueryEscape(token), url.PathEscape(token)} {
			if escaped != token {
				assert.NotContains(t, line, escaped, token)
			}
		}
		assert.Equal(t, 1, strings.Count(line, "\n"), line)
		assert.Equal(t, 1, l.count())
	}
	var b strings.Builder
	l := &requestLog{w: &b, token: "t0k"}
	l.print(pipedrivetest.Request{Method: http.MethodGet, Path: "/api/v1/deals/1\nforged line/files", Status: http.StatusNotFound})
	assert.Regexp(t, `^\S+ GET /api/v1/deals/1%0Aforged%20line/files 404\n$`, b.String(), "a newline in the path cannot forge a log line")
}

// The help lists each plan with pipedrivetest's figures, and says which is the default.
func TestServeFakeHelpListsThePlans(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "serve-fake", "-h")
	require.Equal(t, exitOK, r.code)
	for _, p := range pipedrivetest.Plans() {
		assert.Regexp(t, fmt.Sprintf(`(?m)^  %s +%d requests, %d tokens`, p, p.BurstLimit(), p.DailyBudget()), r.stdout, p)
	}
	assert.Contains(t, r.stdout, "essential      20 requests, 30000 tokens (the default")
	assert.Contains(t, r.stdout, `(default "essential")`)
	assert.Contains(t, r.stdout, "-fixtures FILE")
	assert.Contains(t, r.stdout, `"drive_files": [{"id": "123magicfile123", "name": "Price list"}]`)
	assert.Equal(t, pipedrivetest.PlanEssential, defaultPlan)
}
