package pipedrive_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// attemptLog collects what a WithAttemptHook function is told.
type attemptLog struct {
	mu       sync.Mutex
	attempts []pipedrive.Attempt
}

// hook is the function to pass to WithAttemptHook.
func (l *attemptLog) hook(_ context.Context, a pipedrive.Attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
}

// all returns the attempts reported so far, oldest first.
func (l *attemptLog) all() []pipedrive.Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pipedrive.Attempt(nil), l.attempts...)
}

// A 429 then a success is two attempts of one call, each with its status and headers.
func TestAttemptHookSeesEveryAttempt(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(429, rateLimited, "Retry-After", "1", "X-Ratelimit-Remaining", "0"),
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "39"),
	))
	var log attemptLog
	c := newClient(t, api.baseURL(), retries, pipedrive.WithAttemptHook(log.hook))

	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	got := log.all()
	require.Len(t, got, 2)
	assert.Equal(t, int64(2), api.count(), "one attempt reported per request")
	for i, want := range []struct{ status, remaining int }{{429, 0}, {200, 39}} {
		a := got[i]
		assert.Equal(t, "POST /files/remote", a.Operation)
		assert.Equal(t, i+1, a.Attempt)
		assert.Equal(t, want.status, a.StatusCode)
		assert.NoError(t, a.Err)
		assert.Equal(t, want.remaining, a.RateLimit.Remaining)
		assert.True(t, a.RateLimit.Known)
		assert.GreaterOrEqual(t, a.Duration, time.Duration(0))
	}

	// A list is reported under its own operation, numbering from 1 again.
	_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Len(t, errs, 1, "the fake answers a list with a create's body")
	got = log.all()
	require.Len(t, got, 3)
	assert.Equal(t, "GET /deals/{id}/files", got[2].Operation)
	assert.Equal(t, 1, got[2].Attempt)
	assert.Equal(t, 200, got[2].StatusCode)
}

// An attempt that could not connect is reported with no status and the reason; the
// retry that connects is the next attempt.
func TestAttemptHookSeesAFailedConnection(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	hc, dials := dialing(t, func(n int64) error {
		if n == 1 {
			return errRefused
		}
		return nil
	})
	var log attemptLog
	c := newClient(t, api.baseURL(), retries, pipedrive.WithHTTPClient(hc), pipedrive.WithAttemptHook(log.hook))

	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	got := log.all()
	require.Len(t, got, 2)
	assert.Equal(t, int64(2), dials.Load())
	assert.Equal(t, int64(1), api.count())

	failed := got[0]
	assert.Equal(t, 1, failed.Attempt)
	assert.Zero(t, failed.StatusCode, "no answer")
	require.Error(t, failed.Err)
	assert.ErrorIs(t, failed.Err, syscall.ECONNREFUSED)
	assert.False(t, failed.RateLimit.Known)
	assert.Equal(t, -1, failed.RateLimit.Remaining, "not reported")

	assert.Equal(t, 2, got[1].Attempt)
	assert.Equal(t, 200, got[1].StatusCode)
	assert.NoError(t, got[1].Err)
}

// Nothing sent, nothing reported: a request refused by validation makes no attempt.
func TestAttemptHookNotCalledForARequestNotSent(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	var log attemptLog
	c := newClient(t, api.baseURL(), pipedrive.WithAttemptHook(log.hook))
	_, err := c.Files.CreateRemote(t.Context(), pipedrive.CreateRemoteFileRequest{FileType: "pdf", Title: "x", Item: pipedrive.Deal(1)})
	require.ErrorIs(t, err, pipedrive.ErrInvalidRequest)
	assert.Empty(t, log.all())
	assert.Zero(t, api.count())
}

func TestWithAttemptHookRefusesNil(t *testing.T) {
	t.Parallel()
	_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithAttemptHook(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithAttemptHook")
}

// Every leak path, in every auth mode: no Attempt the hook is given holds the token, in
// its Err (text, fields, anything Unwrap reaches) or printed whole.
func TestAttemptHookNeverSeesTheToken(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		for _, lp := range leakPaths(t) {
			t.Run(mode.name+"/"+lp.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, lp.respond)
				var logs bytes.Buffer
				var log attemptLog
				c := mode.client(t, api.baseURL(), append([]pipedrive.Option{pipedrive.WithAttemptHook(log.hook)}, lp.opts...)...)

				_, err := c.Files.CreateRemote(t.Context(), validCreate())
				require.Error(t, err)
				_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
				require.Len(t, errs, 1)

				got := log.all()
				require.Len(t, got, 2, "one attempt per call (retries are off)")
				for _, a := range got {
					assert.Equal(t, a.StatusCode == 0, a.Err != nil, "an error exactly when no answer came: %+v", a)
					requireNoSecret(t, testToken, a.Err, c, &logs)
					for _, verb := range []string{"%v", "%+v", "%#v"} {
						text := fmt.Sprintf(verb, a)
						for _, piece := range secretPieces(testToken) {
							require.False(t, strings.Contains(text, piece), "%q (a piece of the token) appears in %q", piece, text)
						}
					}
				}
			})
		}
	}
}

// The hook runs on the goroutine that made the call, before the call returns: what it
// records is there as soon as the call is.
func TestAttemptHookRunsBeforeTheCallReturns(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	type key struct{}
	var seen []any
	c := newClient(t, api.baseURL(), pipedrive.WithAttemptHook(func(ctx context.Context, _ pipedrive.Attempt) {
		seen = append(seen, ctx.Value(key{})) // no lock: the caller's goroutine, synchronously
	}))
	ctx := context.WithValue(t.Context(), key{}, "caller's")
	_, err := createDoc(ctx, c)
	require.NoError(t, err)
	assert.Equal(t, []any{"caller's"}, seen, "the call's own context, before it returned")
	assert.Equal(t, http.MethodPost, api.onlyRequest(t).Method)
}
