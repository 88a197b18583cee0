package pipedrivetest_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// A server on a listener the caller opened, with a token the caller chose, answers at
// that address with that token only.
func TestWithListenerAndToken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := pipedrivetest.NewServer(pipedrivetest.WithListener(l), pipedrivetest.WithToken("my-fake-token-for-scripts"))
	defer srv.Close()
	assert.Equal(t, "http://"+l.Addr().String()+"/api/v1", srv.URL())
	assert.Equal(t, "my-fake-token-for-scripts", srv.Token())

	status, _, _ := post(t, srv, "/files/remote", "application/x-www-form-urlencoded",
		"file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x", http.Header{"X-Api-Token": {"my-fake-token-for-scripts"}})
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = post(t, srv, "/files/remote", "application/x-www-form-urlencoded",
		"file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x", http.Header{"X-Api-Token": {"another-token"}})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Len(t, srv.Files(), 1)

	srv.Close()
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "Close closes the listener")
}

// The hook sees every request as Requests records it, token redacted, before the client
// gets its answer, and may call the server.
func TestWithRequestHook(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []pipedrivetest.Request
		srv  *pipedrivetest.Server
	)
	srv = pipedrivetest.NewServer(pipedrivetest.WithRequestHook(func(r pipedrivetest.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r)
		assert.Len(t, srv.Requests(), len(seen), "recorded before the hook runs")
	}))
	defer srv.Close()
	c := client(t, srv)
	_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	mu.Lock()
	require.Len(t, seen, 1, "the hook ran before the answer reached the client")
	mu.Unlock()
	_, err = c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: pipedrive.Deal(999)})
	require.ErrorIs(t, err, pipedrive.ErrNotFound)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	assert.Equal(t, srv.Requests(), seen)
	assert.Equal(t, http.StatusOK, seen[0].Status)
	assert.Equal(t, http.StatusNotFound, seen[1].Status)
	assert.Equal(t, pipedrivetest.Redacted, seen[0].Header.Get("X-Api-Token"))
	seen[0].Header.Set("X-Api-Token", "changed")
	assert.Equal(t, pipedrivetest.Redacted, srv.Requests()[0].Header.Get("X-Api-Token"), "the hook gets a copy")
}

// WithRequestHistory keeps only the last requests for Requests; the hook still sees
// every one.
func TestWithRequestHistory(t *testing.T) {
	t.Parallel()
	for _, keep := range []int{0, 2} {
		var hooked atomic.Int64
		srv := pipedrivetest.NewServer(pipedrivetest.WithRequestHistory(keep), pipedrivetest.WithRequestHook(func(pipedrivetest.Request) { hooked.Add(1) }))
		defer srv.Close()
		c := client(t, srv)
		for _, id := range []int64{12, 13, 999} {
			_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: pipedrive.Deal(id)})
			if id == 999 {
				require.ErrorIs(t, err, pipedrive.ErrNotFound)
			} else {
				require.NoError(t, err)
			}
		}
		assert.Equal(t, int64(3), hooked.Load())
		reqs := srv.Requests()
		require.Len(t, reqs, keep)
		if keep == 2 {
			assert.Equal(t, []int{http.StatusOK, http.StatusNotFound}, []int{reqs[0].Status, reqs[1].Status}, "the last two")
			assert.Equal(t, "13", reqs[0].Form.Get("item_id"))
		}
	}
	unlimited := pipedrivetest.NewServer()
	defer unlimited.Close()
	for range 3 {
		_, err := client(t, unlimited).Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: pipedrive.Deal(12)})
		require.NoError(t, err)
	}
	assert.Len(t, unlimited.Requests(), 3, "all kept by default")
}

func TestStandaloneOptionsPanicOnMisuse(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "pipedrivetest: WithRequestHistory: n must not be negative", func() { pipedrivetest.WithRequestHistory(-1) })
	assert.PanicsWithValue(t, "pipedrivetest: WithListener: listener is nil", func() { pipedrivetest.WithListener(nil) })
	assert.PanicsWithValue(t, "pipedrivetest: WithRequestHook: hook is nil", func() { pipedrivetest.WithRequestHook(nil) })
	for _, tok := range []string{"", "short-token", "has space in a long token", "tab\there-in-a-long-token", "new\nline-in-a-long-token", "non-ASCII-é-in-a-long-token"} {
		assert.PanicsWithValue(t, "pipedrivetest: WithToken: token must be at least 20 characters of printable ASCII without spaces, as package pipedrive requires", func() { pipedrivetest.WithToken(tok) }, tok)
	}
}
