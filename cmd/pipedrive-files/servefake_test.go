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
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
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
	require.Len(t, lines, 5, stderr.String())
	assert.Equal(t, fmt.Sprintf("pipedrive-files serve-fake: serving %s (pid %d); stop it with Ctrl-C or kill %d", env["PIPEDRIVE_BASE_URL"], cmd.Process.Pid, cmd.Process.Pid), lines[0])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ POST /api/v1/files/remote 200$`, lines[1])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ POST /api/v1/files/remote 200$`, lines[2])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ GET /api/v1/deals/12/files\?limit=100&sort=id\+ASC&start=0 200$`, lines[3])
	assert.Equal(t, "pipedrive-files serve-fake: stopped after 3 requests", lines[4])
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
		done <- run(ctx, []string{"serve-fake", "--daily-budget", "1000"}, nil, strings.NewReader(""), pw, &stderr, pipedrive.WallClock())
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
	for _, tc := range []struct{ args, msg string }{
		{"--rate-limit 20", `--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got "20"`},
		{"--rate-limit 0/2s", `--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got "0/2s"`},
		{"--rate-limit 20/soon", `--rate-limit: want N/WINDOW with WINDOW a positive duration, e.g. 20/2s; got "20/soon"`},
		{"--daily-budget -1", "--daily-budget: must not be negative, got -1"},
		{"--token a\tb", "--token: must be printable ASCII without spaces"},
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
