package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// withFiles starts a fake with file 1 (a Google Doc created on deal 12), file 2 (the Drive
// file 123magicfile123 linked to person 5) and file 3 (the same Drive file linked to deal
// 13), and returns it with the environment that points the command at it.
func withFiles(t *testing.T) (*pipedrivetest.Server, map[string]string) {
	t.Helper()
	srv := pipedrivetest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client()
	ctx := context.Background()
	_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	for _, item := range []pipedrive.Item{pipedrive.Person(5), pipedrive.Deal(13)} {
		_, err = c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: item})
		require.NoError(t, err)
	}
	return srv, envFor(srv)
}

// requestsAfter returns what srv received after the first n requests.
func requestsAfter(srv *pipedrivetest.Server, n int) []pipedrivetest.Request {
	return srv.Requests()[n:]
}

func TestFilesListsTheCompanysFiles(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	require.True(t, srv.DeleteFile(1))
	r := runWith(t, env, "files")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2, "the deleted file is left out")
	assert.Regexp(t, `^2  Price list  gdoc  123magicfile123  person 5  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, lines[0])
	assert.Regexp(t, `^3  Price list  gdoc  123magicfile123  deal 13   \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, lines[1])
	got := requestsAfter(srv, 3)
	require.Len(t, got, 1)
	assert.Equal(t, "/api/v1/files", got[0].Path)
	assert.Equal(t, map[string][]string{"start": {"0"}, "limit": {"100"}, "sort": {"id ASC"}}, map[string][]string(got[0].Query))
	assert.Equal(t, pipedrivetest.Redacted, got[0].Header.Get("X-Api-Token"))
	noToken(t, r, srv.Token())
}

// --remote-id and --url keep only the files that link that Drive file: the tutorial's
// way to find a remote_id (and where it is linked) before linking it elsewhere.
func TestFilesByDriveFile(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	created := srv.Files()[0].RemoteID
	for _, args := range [][]string{
		{"files", "--remote-id", "123magicfile123"},
		{"files", "--url", "https://docs.google.com/document/d/123magicfile123/edit"},
	} {
		r := runWith(t, env, args...)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Regexp(t, `^2  Price list  gdoc  123magicfile123  person 5  [^\n]+\n3  Price list  gdoc  123magicfile123  deal 13   [^\n]+\n$`, r.stdout, args)
	}

	r := runWith(t, env, "files", "--json", "--remote-id", created)
	require.Equal(t, exitOK, r.code, r.stderr)
	var files []pipedrive.File
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &files), r.stdout)
	require.Len(t, files, 1)
	assert.Equal(t, int64(1), files[0].ID)
	assert.Equal(t, "googledrive", files[0].RemoteLocation)

	r = runWith(t, env, "files", "--json", "--remote-id", "notLinkedAnywhere")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout, "no match: an empty array")
	r = runWith(t, env, "files", "--remote-id", "notLinkedAnywhere")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)

	// Then link it to another item, as the tutorial does.
	r = runWith(t, env, "link", "--remote-id", "123magicfile123", "--org", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `Linked Google Doc "Price list" (file 4) to organization 2 "Globex".`), r.stdout)
}

func TestFilesUsageErrors(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"files", "--remote-id", "a/b"}, `pipedrive-files files: --remote-id: must be a Google Drive file id of letters, digits, '-' and '_', not a URL or path (it contains "/"); pass a URL with --url instead`},
		{[]string{"files", "--remote-id", "a", "--url", "https://docs.google.com/document/d/a/edit"}, "pipedrive-files files: give only one of --remote-id and --url"},
		{[]string{"files", "--url", "https://example.com/x"}, "pipedrive-files files: --url: "},
		{[]string{"files", "extra"}, `pipedrive-files files: unexpected argument "extra"`},
	} {
		r := runWith(t, env, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.True(t, strings.HasPrefix(r.stderr, tc.msg), r.stderr)
		assert.Contains(t, r.stderr, "Run 'pipedrive-files files -h' for usage.")
	}
	assert.Len(t, srv.Requests(), 3, "nothing sent")
}

func TestGetPrintsOneFile(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	r := runWith(t, env, "get", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^File 2 "Price list" \(Google Doc\)
  Drive id        123magicfile123
  Open            https://docs.google.com/document/d/123magicfile123/edit
  File name       Price list
  Download        https://app.pipedrive.com/api/v1/files/2/download
  Linked to       person 5 "John Doe", organization 1 "Acme Corp"
  Added           \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC
  Updated         \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC
$`, r.stdout)
	got := requestsAfter(srv, 3)
	require.Len(t, got, 1)
	assert.Equal(t, http.MethodGet, got[0].Method)
	assert.Equal(t, "/api/v1/files/2", got[0].Path)
	assert.Empty(t, got[0].Query)

	for _, args := range [][]string{{"get", "--json", "1"}, {"get", "1", "--json"}} {
		r = runWith(t, env, args...)
		require.Equal(t, exitOK, r.code, r.stderr)
		var f pipedrive.File
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
		assert.Equal(t, int64(1), f.ID)
		assert.Equal(t, "Proposal", f.Name)
	}

	require.True(t, srv.DeleteFile(1))
	r = runWith(t, env, "get", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `File 1 "Proposal" (Google Doc) (deleted)`+"\n"), r.stdout)

	r = runWith(t, env, "get", "99")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files get: Pipedrive answered 404 Not Found to GET /files/{id}: File not found\n", r.stderr)
	assert.Empty(t, r.stdout)
}

// A missing, malformed or extra file id is exit 2 before anything is sent, for each
// command that takes one.
func TestFileIDUsageErrors(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	for _, cmd := range []string{"get", "update", "delete"} {
		for args, msg := range map[string]string{
			"":         "the file ID is required, e.g. 'pipedrive-files " + cmd + " 7'",
			"0":        `file ID: must be a positive integer, got "0"`,
			"-- -3":    `file ID: must be a positive integer, got "-3"`,
			"abc":      `file ID: must be a positive integer, got "abc"`,
			"1 2":      `unexpected argument "2" (quote values that contain spaces)`,
			"--nope 1": "flag provided but not defined: -nope",
		} {
			full := append([]string{cmd}, strings.Fields(args)...)
			if cmd == "update" {
				full = append(full, "--name=x")
			}
			r := runWith(t, env, full...)
			assert.Equal(t, exitUsage, r.code, full)
			assert.Equal(t, "pipedrive-files "+cmd+": "+msg+"\nRun 'pipedrive-files "+cmd+" -h' for usage.\n", r.stderr, full)
		}
	}
	assert.Len(t, srv.Requests(), 3, "nothing sent")
}

func TestUpdateSendsOnlyTheFieldsGiven(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	r := runWith(t, env, "update", "1", "--name", "Proposal v2 & final")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `Updated file 1 "Proposal v2 & final" (Google Doc)`+"\n"), r.stdout)
	r = runWith(t, env, "update", "--description", "Signed\ncopy", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "  Description     Signed\n                  copy\n")
	r = runWith(t, env, "update", "1", "--description", "", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var f pipedrive.File
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.Equal(t, "Proposal v2 & final", f.Name)
	assert.Empty(t, f.Description)

	got := requestsAfter(srv, 3)
	require.Len(t, got, 3)
	for i, body := range []string{"name=Proposal+v2+%26+final", "description=Signed%0Acopy", "description="} {
		assert.Equal(t, http.MethodPut, got[i].Method)
		assert.Equal(t, "/api/v1/files/1", got[i].Path)
		assert.Equal(t, "application/x-www-form-urlencoded", got[i].Header.Get("Content-Type"))
		assert.Equal(t, body, got[i].Body)
	}
	assert.Equal(t, "Proposal v2 & final", srv.Files()[0].Name)
}

func TestUpdateExitCodes(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"update", "1"}, "pipedrive-files update: give --name, --description or both\n"},
		{[]string{"update", "1", "--name", " "}, "pipedrive-files update: --name: must contain a visible character (white space and invisible characters such as U+200B do not count)\n"},
		{[]string{"update", "1", "--description", "a\x00"}, "pipedrive-files update: --description: must not contain control characters other than tab, line feed and carriage return, found U+0000 at byte 1\n"},
	} {
		r := runWith(t, env, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Equal(t, tc.msg+"Run 'pipedrive-files update -h' for usage.\n", r.stderr)
	}
	assert.Len(t, srv.Requests(), 3, "nothing sent")

	r := runWith(t, env, "update", "99", "--name", "x")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files update: Pipedrive answered 404 Not Found to PUT /files/{id}: File not found\n", r.stderr)

	// A PUT is retried after a 503; once the retries run out the outcome is unknown.
	for range 4 {
		srv.FailNext(http.StatusServiceUnavailable, `{"success":false,"error":"Service under maintenance"}`)
	}
	r = runWith(t, env, "update", "1", "--name", "x")
	assert.Equal(t, exitUnknown, r.code)
	assert.Equal(t, "pipedrive-files update: Pipedrive answered 503 Service Unavailable to PUT /files/{id}: Service under maintenance\n"+
		"The update may have been made: sending it again is safe (the same update twice leaves the file as once does).\n", r.stderr)
	assert.Len(t, r.waits, 3, "three retries, on the fake clock")
	srv.FailNext(http.StatusBadGateway, "")
	r = runWith(t, env, "update", "1", "--name", "x")
	assert.Equal(t, exitOK, r.code, "one 502, then retried")
}

// runAnswering runs the command as a person at a terminal would, answering stdin.
func runAnswering(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	hc, dialed := loopbackOnly(t)
	clk := pipedrivetest.NewClock(pipedrive.WallClock().Now())
	code := run(context.Background(), &env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Clock: clk, Options: []pipedrive.Option{pipedrive.WithHTTPClient(hc)}, Terminal: func() bool { return true }}, args)
	return result{code, stdout.String(), stderr.String(), dialed(), clk.Sleeps()}
}

// Without a terminal delete needs --yes, and sends nothing without it; on a terminal it
// shows the file and deletes only on "y" or "yes".
func TestDeleteAsksOrNeedsYes(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	r := runWith(t, env, "delete", "1")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pipedrive-files delete: stdin is not a terminal, so there is no one to confirm: add --yes to delete file 1 (nothing was deleted)\nRun 'pipedrive-files delete -h' for usage.\n", r.stderr)
	assert.Len(t, srv.Requests(), 3, "nothing sent")

	for _, answer := range []string{"", "n\n", "no\n", "yess\n"} {
		r = runAnswering(t, env, answer, "delete", "1")
		assert.Equal(t, exitOK, r.code, answer)
		assert.Equal(t, `Delete file 1 "Proposal", linked to deal 12? Pipedrive deletes it for good after 30 days. [y/N] Not deleted.`+"\n", r.stderr, answer)
		assert.Empty(t, r.stdout)
	}
	for _, req := range srv.Requests() {
		assert.NotEqual(t, http.MethodDelete, req.Method)
	}
	assert.True(t, srv.Files()[0].ActiveFlag)

	r = runAnswering(t, env, " Yes \n", "delete", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "Deleted file 1. Pipedrive deletes it for good after 30 days.\n", r.stdout)
	last := srv.Requests()[len(srv.Requests())-2:]
	assert.Equal(t, []string{"GET /api/v1/files/1", "DELETE /api/v1/files/1"}, []string{last[0].Method + " " + last[0].Path, last[1].Method + " " + last[1].Path})
	assert.Empty(t, last[1].Body)
	assert.False(t, srv.Files()[0].ActiveFlag)

	r = runWith(t, env, "delete", "--yes", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "Deleted file 2. Pipedrive deletes it for good after 30 days.\n", r.stdout)
	assert.Equal(t, "DELETE", srv.Requests()[len(srv.Requests())-1].Method, "--yes: no GET first")

	r = runWith(t, env, "delete", "2", "--yes")
	assert.Equal(t, exitOK, r.code, "deleting twice does no harm")
}

func TestDeleteExitCodes(t *testing.T) {
	t.Parallel()
	srv, env := withFiles(t)
	r := runWith(t, env, "delete", "--yes", "99")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files delete: Pipedrive answered 404 Not Found to DELETE /files/{id}: File not found\n", r.stderr)

	r = runAnswering(t, env, "y\n", "delete", "99")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files delete: Pipedrive answered 404 Not Found to GET /files/{id}: File not found\nNothing was deleted.\n", r.stderr)

	for range 4 {
		srv.FailNextAfterCommit(http.StatusGatewayTimeout, "")
	}
	r = runWith(t, env, "delete", "--yes", "1")
	assert.Equal(t, exitUnknown, r.code)
	assert.Equal(t, "pipedrive-files delete: Pipedrive answered 504 Gateway Timeout to DELETE /files/{id}: (no error message in the response)\n"+
		"The file may have been deleted: sending the delete again is safe (deleting twice does no harm).\n", r.stderr)
	assert.False(t, srv.Files()[0].ActiveFlag, "it was, in fact")
	r = runWith(t, env, "delete", "--yes", "1")
	assert.Equal(t, exitOK, r.code, "and running it again is fine")

	r = runWith(t, env, "delete", "--json", "--yes", "1")
	assert.Equal(t, exitUsage, r.code, "delete prints no file, so it has no --json")
}

// --fake gives each command a fresh fake: no files, so files prints nothing and get finds
// nothing.
func TestFileCommandsOnAFreshFake(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "files", "--fake")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	for _, args := range [][]string{{"get", "--fake", "1"}, {"update", "--fake", "1", "--name", "x"}, {"delete", "--fake", "--yes", "1"}} {
		r = runWith(t, nil, args...)
		assert.Equal(t, exitAPI, r.code, args)
		assert.Contains(t, r.stderr, "404 Not Found", args)
	}
}

func TestFileCommandsHelp(t *testing.T) {
	t.Parallel()
	for cmd, want := range map[string]string{
		"files":  "Usage: pipedrive-files files [--remote-id ID | --url URL] [flags]\n",
		"get":    "Usage: pipedrive-files get ID [flags]\n",
		"update": "Usage: pipedrive-files update ID [--name NAME] [--description TEXT] [flags]\n",
		"delete": "Usage: pipedrive-files delete ID [--yes] [flags]\n",
	} {
		for _, args := range [][]string{{cmd, "-h"}, {"help", cmd}} {
			r := runWith(t, nil, args...)
			assert.Equal(t, exitOK, r.code, args)
			assert.True(t, strings.HasPrefix(r.stdout, want), r.stdout)
			assert.Contains(t, r.stdout, "-timeout DURATION")
			assert.Contains(t, r.stdout, "-fake")
		}
	}
	r := runWith(t, nil, "help")
	for _, cmd := range []string{"files", "get", "update", "delete"} {
		assert.Contains(t, r.stdout, "\n  pipedrive-files "+cmd+" ")
		assert.Contains(t, r.stdout, "\n  "+cmd+" ")
	}
}
