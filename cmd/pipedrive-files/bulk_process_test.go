package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// The tests in this file run pipedrive-files as separate processes, bulk against
// serve-fake, as a user would.

var (
	buildOnce   sync.Once
	buildDir    string // holds the binary; removed by TestMain
	builtBinary string // "" when it could not be built
)

// processBinary is the pipedrive-files the process tests run: built once per test binary
// with go build, without -race, so that each process starts at once (a race-enabled
// process takes about a second to). Without a go command on the PATH it is the test
// binary itself, which runs main when runMainEnv is set (see TestMain).
func processBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pipedrive-files-test-")
		if err != nil {
			return
		}
		buildDir = dir
		exe := filepath.Join(dir, "pipedrive-files")
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build of pipedrive-files failed, running the test binary instead: %v\n%s", err, out)
			return
		}
		builtBinary = exe
	})
	if builtBinary != "" {
		return builtBinary
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	return exe
}

// removeProcessBinary removes what processBinary built.
func removeProcessBinary() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// processEnv is the environment of a pipedrive-files process: the test's, without any
// PIPEDRIVE_ variable of the developer's, with vars.
func processEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIPEDRIVE_") {
			env = append(env, kv)
		}
	}
	env = append(env, runMainEnv+"=1")
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// command is pipedrive-files with args, run in dir with the environment vars.
func command(t *testing.T, dir string, vars map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(processBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = processEnv(vars)
	return cmd
}

// processResult waits for cmd, started with stdout and stderr, and returns what it did.
func processResult(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return result{code: exit.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	}
	require.NoError(t, err)
	return result{code: 0, stdout: stdout.String(), stderr: stderr.String()}
}

// run runs pipedrive-files with args in dir, against the fake f, to its end.
func (f *fakeProcess) run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd, stdout, stderr := f.start(t, dir, args...)
	return processResult(t, cmd, stdout, stderr)
}

// start starts pipedrive-files with args in dir, against the fake f.
func (f *fakeProcess) start(t *testing.T, dir string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := command(t, dir, f.env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	return cmd, &stdout, &stderr
}

// fakeProcess is `pipedrive-files serve-fake` running as a process.
type fakeProcess struct {
	env      map[string]string // PIPEDRIVE_BASE_URL and PIPEDRIVE_API_TOKEN, as it printed them
	log      *syncBuffer       // its standard error: one line per request
	barriers int
}

// startServeFake starts serve-fake with args, stopped (SIGINT) at the test's end.
func startServeFake(t *testing.T, args ...string) *fakeProcess {
	t.Helper()
	cmd := command(t, "", nil, append([]string{"serve-fake"}, args...)...)
	f := &fakeProcess{log: &syncBuffer{}}
	cmd.Stderr = f.log
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	})
	f.env = fakeEnv(t, bufio.NewReader(out))
	return f
}

// requests is the requests the fake has logged ("POST /api/v1/files/remote 200", ...),
// every request answered so far included: it sends one of its own, and waits until that
// one is logged, after the others.
func (f *fakeProcess) requests(t *testing.T) []string {
	t.Helper()
	f.barriers++
	const barrier = "?limit=1&start=7777"
	target := fmt.Sprintf("/deals/12/files%s%d", barrier, f.barriers)
	req, err := http.NewRequest(http.MethodGet, f.env["PIPEDRIVE_BASE_URL"]+target, nil)
	require.NoError(t, err)
	req.Header.Set("X-Api-Token", f.env["PIPEDRIVE_API_TOKEN"])
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.log.String(), target+" ") {
		require.True(t, time.Now().Before(deadline), "the fake never logged %s:\n%s", target, f.log.String())
		time.Sleep(5 * time.Millisecond)
	}
	var reqs []string
	for _, line := range strings.Split(f.log.String(), "\n") {
		if _, req, ok := strings.Cut(line, "Z "); ok && !strings.Contains(req, barrier) {
			reqs = append(reqs, req)
		}
	}
	return reqs
}

// titles is the names of the files on deal 12, as `pipedrive-files list` gives them.
func (f *fakeProcess) titles(t *testing.T) []string {
	t.Helper()
	r := f.run(t, "", "list", "--deal", "12", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var files []pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &files), r.stdout)
	var names []string
	for _, file := range files {
		names = append(names, file.Name)
	}
	return names
}

// snapshot is the contents of files, to show that a run left them as they were.
func snapshot(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		m[p] = string(b)
	}
	return m
}

// createRows is a bulk input creating a file on deal 12 for each title.
func createRows(titles ...string) string {
	var b strings.Builder
	b.WriteString("action,item_type,item_id,file_type,title\n")
	for _, title := range titles {
		fmt.Fprintf(&b, "create,deal,12,gdoc,%s\n", title)
	}
	return b.String()
}

// --report or --journal naming the input or the journal, however it is spelt (a
// symlink, a path through another directory, an absolute path), is a usage error: exit
// 2, nothing sent, no file written.
func TestBulkProcessRefusesAReportOrJournalThatIsTheInputOrTheJournal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	f := startServeFake(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "rows.csv")
	require.NoError(t, os.WriteFile(input, []byte(createRows("First")), 0o600))
	r := f.run(t, dir, "bulk", "rows.csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	// One more row: a run would send it, the journal follows the edited input.
	require.NoError(t, os.WriteFile(input, []byte(createRows("First", "Second")), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	require.NoError(t, os.Symlink("rows.csv.journal", filepath.Join(dir, "journal-link")))
	require.NoError(t, os.Symlink(input, filepath.Join(dir, "sub", "input-link")))
	journal := input + ".journal"
	before := snapshot(t, input, journal)
	requests := f.requests(t)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--report", "rows.csv.journal"}, "--report rows.csv.journal is the journal"},
		{[]string{"--report", "sub/../rows.csv.journal"}, "--report sub/../rows.csv.journal is the journal"},
		{[]string{"--report", "journal-link"}, "--report journal-link is the journal"},
		{[]string{"--report", journal}, "--report " + journal + " is the journal"},
		{[]string{"--report", "rows.csv"}, "--report rows.csv is the input file"},
		{[]string{"--report", "./sub/input-link"}, "--report ./sub/input-link is the input file"},
		{[]string{"--report", input}, "--report " + input + " is the input file"},
		{[]string{"--journal", "sub/input-link"}, "--journal sub/input-link is the input file"},
		{[]string{"--journal", "new.journal", "--report", "./new.journal"}, "--report ./new.journal is the journal"},
	} {
		r := f.run(t, dir, append([]string{"bulk", "rows.csv"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Contains(t, r.stderr, "pipedrive-files bulk: "+tc.msg, tc.args)
		assert.Empty(t, r.stdout, tc.args)
		assert.Equal(t, before, snapshot(t, input, journal), tc.args)
		assert.NoFileExists(t, filepath.Join(dir, "new.journal"), tc.args)
	}
	assert.Equal(t, requests, f.requests(t), "nothing was sent")
	assert.Equal(t, []string{"First"}, f.titles(t))

	// The same command with a report of its own sends the new row.
	r = f.run(t, dir, "bulk", "rows.csv", "--report", "report.csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.ElementsMatch(t, []string{"First", "Second"}, f.titles(t))
}

// Two runs of one input at once: the second is refused (exit 2) whatever journal it is
// given, and never told to use another journal; the first goes on, and every file is
// made exactly once. The fake's rate limit (1 request a second) keeps the first run going
// for about 3 s after its first record.
func TestBulkProcessTwoRunsOfOneInputAtOnce(t *testing.T) {
	t.Parallel()
	f := startServeFake(t, "--rate-limit", "1/1s")
	dir := t.TempDir()
	titles := []string{"One", "Two", "Three", "Four"}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rows.csv"), []byte(createRows(titles...)), 0o600))
	first, stdout, stderr := f.start(t, dir, "bulk", "rows.csv", "--workers", "1")

	// Wait until the first run has sent a row: it holds the input, and has rows to go.
	journal := filepath.Join(dir, "rows.csv.journal")
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(journal)
		if strings.Contains(string(data), `"state":"done"`) {
			require.NotContains(t, string(data), `"line":5,"state":"done"`, "the first run is still going")
			break
		}
		require.True(t, time.Now().Before(deadline), "the first run wrote no record: %s", stderr)
		time.Sleep(10 * time.Millisecond)
	}
	for _, args := range [][]string{nil, {"--journal", "other.journal"}, {"--journal", filepath.Join(dir, "x.journal")}} {
		r := f.run(t, dir, append([]string{"bulk", "rows.csv"}, args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "is being run by another bulk run: wait for it to end", args)
		assert.NotContains(t, r.stderr, "another journal", args)
		assert.NotContains(t, r.stderr, "--journal", args)
	}
	assert.NoFileExists(t, filepath.Join(dir, "other.journal"))
	assert.NoFileExists(t, filepath.Join(dir, "x.journal"))

	r := processResult(t, first, stdout, stderr)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "4 rows: done 4,")
	assert.ElementsMatch(t, titles, f.titles(t), "each file exactly once")
}

// A journal whose last line is complete but is not a record, or a file that is not a
// journal, is refused (exit 2) and left byte for byte as it was; nothing is sent.
func TestBulkProcessRefusesADamagedOrForeignJournal(t *testing.T) {
	t.Parallel()
	f := startServeFake(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "rows.csv")
	require.NoError(t, os.WriteFile(input, []byte(createRows("First")), 0o600))
	r := f.run(t, dir, "bulk", "rows.csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NoError(t, os.WriteFile(input, []byte(createRows("First", "Second")), 0o600))
	journal := input + ".journal"
	data, err := os.ReadFile(journal)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(journal, append(data, "checked by Ann, all fine\n"...), 0o600))
	notes := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("shopping list\nmilk\n"), 0o600))
	csvCopy := filepath.Join(dir, "copy.csv")
	require.NoError(t, os.WriteFile(csvCopy, []byte(createRows("First", "Second")), 0o600))
	before := snapshot(t, input, journal, notes, csvCopy)
	requests := f.requests(t)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "the journal is damaged"},
		{[]string{"--dry-run"}, "the journal is damaged"},
		{[]string{"--journal", "notes.txt"}, "not a journal"},
		{[]string{"--journal", "copy.csv"}, "not a journal"},
		{[]string{"--journal", "copy.csv", "--dry-run"}, "not a journal"},
	} {
		r := f.run(t, dir, append([]string{"bulk", "rows.csv"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, tc.args)
		assert.Equal(t, before, snapshot(t, input, journal, notes, csvCopy), tc.args)
	}
	assert.Equal(t, requests, f.requests(t), "nothing was sent")
	assert.Equal(t, []string{"First"}, f.titles(t))
}
