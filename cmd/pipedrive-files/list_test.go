package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

func TestListPrintsOneLinePerFile(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	env := envFor(srv)
	require.Equal(t, exitOK, runWith(t, env, "create", "--title", "Budget 2026", "--type", "gsheet", "--deal", "12").code)
	require.Equal(t, exitOK, runWith(t, env, "link", "--remote-id", "123magicfile123", "--deal", "12").code)
	require.Equal(t, exitOK, runWith(t, env, "link", "--remote-id", "1Qx7sheetFORECASTq3_2bT9vLmN0pRsTuVwXyZaBcDe", "--deal", "12").code)
	require.True(t, srv.DeleteFile(3)) // left out, as Pipedrive leaves deleted files out

	r := runWith(t, env, "list", "--deal", "12")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2)
	files := srv.Files()
	assert.Regexp(t, `^1  Budget 2026  gsheet  `+files[0].RemoteID+`  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, lines[0])
	assert.Regexp(t, `^2  Price list   gdoc    123magicfile123 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, lines[1])
	reqs := srv.Requests()
	assert.Equal(t, "/api/v1/deals/12/files", reqs[len(reqs)-1].Path)
	noToken(t, r, srv.Token())

	r = runWith(t, env, "list", "--person", "6")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout, "no files, no lines")
}

func TestListAsJSON(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	env := envFor(srv)
	r := runWith(t, env, "list", "--json", "--org", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout, "an empty array, not null")

	require.Equal(t, exitOK, runWith(t, env, "link", "--remote-id", "123magicfile123", "--org", "1").code)
	r = runWith(t, env, "list", "--json", "--org", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	var files []pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &files), r.stdout)
	require.Len(t, files, 1)
	assert.Equal(t, "123magicfile123", files[0].RemoteID)
	assert.Equal(t, int64(1), files[0].OrgID)
}

func TestListOfAnUnknownItem(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	r := runWith(t, envFor(srv), "list", "--deal", "999")
	assert.Equal(t, exitAPI, r.code)
	assert.Equal(t, "pipedrive-files list: Pipedrive answered 404 Not Found to GET /deals/{id}/files: Deal not found\n", r.stderr)
	assert.Empty(t, r.stdout)
}

func TestLinkIsExactlyOnceUnlessNoCheck(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	env := envFor(srv)
	args := []string{"link", "--remote-id", "123magicfile123", "--deal", "12"}
	r := runWith(t, env, args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `Linked Google Doc "Price list" (file 1) to deal 12`), r.stdout)

	r = runWith(t, env, args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "already linked: file 1\n", r.stdout)
	assert.Len(t, srv.Files(), 1)

	r = runWith(t, env, append(args, "--json")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "already linked: file 1\n", r.stderr)
	var f pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.Equal(t, int64(1), f.ID)

	r = runWith(t, env, append(args, "--no-check")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, srv.Files(), 2, "--no-check links again")
	var posts, gets int
	for _, req := range srv.Requests() {
		switch req.Method {
		case http.MethodPost:
			posts++
		case http.MethodGet:
			gets++
		}
	}
	assert.Equal(t, 2, posts)
	assert.Equal(t, 3, gets, "one look per checked link")
}

func TestCreateConfirmsAnUnknownOutcome(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	srv.FailNextAfterCommit(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
	r := runWith(t, envFor(srv), "create", "--title", "Proposal", "--deal", "12")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, "pipedrive-files create: created (confirmed after an unknown outcome: "), r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `Created Google Doc "Proposal" (file 1) on deal 12`), r.stdout)
	assert.Len(t, srv.Files(), 1, "not created twice")

	// A failed look says the file may exist.
	srv.FailNext(http.StatusBadGateway, "")
	srv.FailNext(http.StatusUnauthorized, `{"success":false,"error":"unauthorized access"}`)
	r = runWith(t, envFor(srv), "create", "--title", "Other", "--deal", "12")
	assert.Equal(t, exitUnknown, r.code)
	assert.Contains(t, r.stderr, "The file may exist: looking for it failed (pipedrive: GET /deals/{id}/files: 401 Unauthorized: unauthorized access). Check with 'pipedrive-files list --deal 12' before running this again.")
}

// The look after a lost create answer compares add_time with the client's clock, the one
// the server stamps files with here, not the wall clock.
func TestCreateLooksSinceTheClientsClock(t *testing.T) {
	clk := pipedrivetest.NewClock(time.Date(2020, 2, 21, 11, 52, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	srv.FailNextAfterCommit(http.StatusGatewayTimeout, "")
	r := runWithClock(t, t.Context(), clk, envFor(srv), "create", "--title", "Proposal", "--deal", "12")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "created (confirmed after an unknown outcome")
	assert.Len(t, srv.Files(), 1, "not created twice")
}
