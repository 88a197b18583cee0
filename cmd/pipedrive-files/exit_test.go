package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

const mayExist = "The file may have been created or linked anyway: check the item's files (pipedrive-files list) before running this again.\n"

// posts counts the POSTs srv received.
func posts(srv *pipedrivetest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// A request that was sent but whose outcome is still unknown once the command has done
// what it can is exit 3, not 1, and it is not sent again.
func TestOutcomeUnknownExitsThree(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()

	// link --no-check does not look: a 502 leaves the outcome unknown.
	srv.FailNext(http.StatusBadGateway, "<html>502</html>")
	r := runWith(t, envFor(srv), "link", "--no-check", "--remote-id", "123magicfile123", "--person", "5")
	assert.Equal(t, exitUnknown, r.code)
	assert.Equal(t, "pipedrive-files link: Pipedrive answered 502 Bad Gateway to POST /files/remoteLink: (no error message in the response)\n"+mayExist, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Equal(t, 1, posts(srv))

	// create looks for the file after a 502; when looking fails too, it is still unknown.
	srv.FailNext(http.StatusBadGateway, `{"success":false,"error":"Bad gateway"}`)
	srv.FailNext(http.StatusUnauthorized, `{"success":false,"error":"unauthorized access"}`)
	r = runWith(t, envFor(srv), "create", "--title", "x", "--deal", "12")
	assert.Equal(t, exitUnknown, r.code)
	assert.Equal(t, "pipedrive-files create: Pipedrive answered 502 Bad Gateway to POST /files/remote: Bad gateway\n"+
		"The file may exist: looking for it failed (pipedrive: GET /deals/{id}/files: 401 Unauthorized: unauthorized access). Check with 'pipedrive-files list --deal 12' before running this again.\n", r.stderr)
	assert.Equal(t, 2, posts(srv))
	assert.Empty(t, srv.Files())
}

// hangingServer accepts requests and never answers them; arrived receives each request's
// path as it comes in. A handler returns once its client goes away (which the server
// notices only once the body is read); should the client still be waiting after 5 s, a
// test is broken, and the handler answers 500 so that the test fails soon.
func hangingServer(t *testing.T) (base string, arrived <-chan string) {
	ch := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		ch <- r.URL.Path
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1", ch
}

// --timeout reaches the call: against a server that never answers, each command gives up
// after it (not after the library's 60 s per attempt) and names the flag. A POST that
// timed out may have been carried out (exit 3); a GET changed nothing (exit 1). The
// timeout leaves time for the request to arrive even on a loaded machine, and the cases
// run in parallel, so the test waits about that long once.
func TestTimeoutFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		path string
	}{
		// create's look for the file runs under the same bound, so it is not even sent.
		{[]string{"create", "--title", "x", "--deal", "12", "--timeout", "200ms"}, exitUnknown, "/api/v1/files/remote"},
		{[]string{"link", "--no-check", "--remote-id", "abc", "--org", "1", "--timeout=200ms"}, exitUnknown, "/api/v1/files/remoteLink"},
		{[]string{"link", "--remote-id", "abc", "--org", "1", "--timeout", "200ms"}, exitAPI, "/api/v1/organizations/1/files"},
		{[]string{"list", "--person", "5", "--timeout", "200ms"}, exitAPI, "/api/v1/persons/5/files"},
		{[]string{"files", "--timeout", "200ms"}, exitAPI, "/api/v1/files"},
		{[]string{"get", "7", "--timeout", "200ms"}, exitAPI, "/api/v1/files/7"},
		// PUT and DELETE are retried after a timeout, but not past --timeout; they may
		// have been carried out.
		{[]string{"update", "7", "--name", "x", "--timeout", "200ms"}, exitUnknown, "/api/v1/files/7"},
		{[]string{"delete", "--yes", "--timeout", "200ms", "7"}, exitUnknown, "/api/v1/files/7"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			base, arrived := hangingServer(t)
			env := map[string]string{"PIPEDRIVE_API_TOKEN": "0123456789abcdef0123456789abcdef01234567", "PIPEDRIVE_BASE_URL": base}
			r := runWith(t, env, tc.args...)
			assert.Equal(t, tc.code, r.code)
			assert.Regexp(t, `^pipedrive-files `+tc.args[0]+`: no answer within --timeout 200ms: pipedrive: .*context deadline exceeded\n`, r.stderr)
			require.Len(t, arrived, 1, "sent once")
			assert.Equal(t, tc.path, <-arrived)
			noToken(t, r, env["PIPEDRIVE_API_TOKEN"])
		})
	}
}

// An interrupt (main cancels the context on SIGINT or SIGTERM) is exit 130: before the
// request, nothing is sent; during it, the outcome is unknown and the message says so.
func TestInterruptExitsOneThirty(t *testing.T) {
	t.Parallel()
	base, arrived := hangingServer(t)
	env := map[string]string{"PIPEDRIVE_API_TOKEN": "0123456789abcdef0123456789abcdef01234567", "PIPEDRIVE_BASE_URL": base}
	args := []string{"create", "--title", "x", "--deal", "12"}

	done, cancel := context.WithCancel(context.Background())
	cancel()
	r := runWithContext(t, done, env, args...)
	assert.Equal(t, exitInterrupted, r.code)
	assert.Regexp(t, `^pipedrive-files create: .*not sent: context canceled\nInterrupted.\n$`, r.stderr)
	assert.Empty(t, arrived, "nothing sent")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	r = runWithContext(t, ctx, env, args...)
	assert.Equal(t, exitInterrupted, r.code)
	assert.Regexp(t, `^pipedrive-files create: .*outcome unknown.*context canceled\nThe file may exist: .*\nInterrupted.\n$`, r.stderr)
	assert.Empty(t, arrived, "the look for the file was not sent either")
}
