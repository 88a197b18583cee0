package redislimit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/e97b4d80/pipedrive-remote-files/internal/redistest"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/redislimit"
)

// TestMain fails the run if a test leaves a goroutine behind, such as a Redis client's.
// go-redis's log of failed dials is silenced: the tests that stop Redis expect them.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(m)
}

// quiet is a go-redis logger that logs nothing.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// token is a token of Pipedrive's shape, 40 hex characters.
const token = "0123456789abcdef0123456789abcdef01234567"

// The token never reaches Redis: the one key a Limiter makes is named by the token's
// SHA-256, holds a time, and expires. A trailing line break is not part of the token.
func TestKeyIsTheTokensHash(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	lim, err := redislimit.New(rdb, token+"\n", 10, time.Second)
	require.NoError(t, err)
	require.NoError(t, lim.Wait(t.Context()))

	sum := sha256.Sum256([]byte(token))
	want := "rate:pipedrive:" + hex.EncodeToString(sum[:])
	assert.Equal(t, want, lim.Key())
	assert.Equal(t, []string{want}, redistest.Keys(t, rdb))
	val, err := rdb.Get(t.Context(), want).Result()
	require.NoError(t, err)
	for _, piece := range []string{token, token[:20], token[20:]} {
		assert.NotContains(t, want, piece)
		assert.NotContains(t, val, piece)
	}
	ttl, err := rdb.TTL(t.Context(), want).Result()
	require.NoError(t, err)
	assert.True(t, ttl > 0 && ttl <= time.Second, "the key expires once the token is idle, TTL %s", ttl)
}

// Limiters on one Redis and token share one schedule, however many clients (processes)
// and goroutines ask: 12 turns at 20 per second take at least 11 intervals of 50 ms. A
// limiter on another token has a schedule of its own.
func TestLimitersShareTheTokensTurns(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const n, window, processes, perProcess = 20, time.Second, 3, 4
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		turns []time.Time
	)
	start := time.Now()
	for range processes {
		lim, err := redislimit.New(srv.Client(t), token, n, window)
		require.NoError(t, err)
		for range perProcess {
			wg.Go(func() {
				assert.NoError(t, lim.Wait(t.Context()))
				mu.Lock()
				turns = append(turns, time.Now())
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	require.Len(t, turns, processes*perProcess)
	slices.SortFunc(turns, func(a, b time.Time) int { return a.Compare(b) })
	spread := turns[len(turns)-1].Sub(start)
	interval := window / n
	ideal := time.Duration(len(turns)-1) * interval
	assert.GreaterOrEqual(t, spread, ideal-10*time.Millisecond, "turns are at least %s apart", interval)
	assert.Less(t, spread, ideal+time.Second, "and not much more")

	// Another token is not held back by this one's schedule.
	other, err := redislimit.New(srv.Client(t), strings.Repeat("f", 40), 1, time.Hour)
	require.NoError(t, err)
	require.NoError(t, other.Wait(t.Context()))
}

// When the next turn comes after the context's deadline, Wait fails at once, for any
// Limiter on the token (another process's too), not for one on another token.
func TestWaitFailsAtOnceWhenTheTurnIsPastTheDeadline(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	first, err := redislimit.New(srv.Client(t), token, 1, time.Hour)
	require.NoError(t, err)
	require.NoError(t, first.Wait(t.Context()))

	second, err := redislimit.New(srv.Client(t), token, 1, time.Hour)
	require.NoError(t, err)
	for _, lim := range []*redislimit.Limiter{first, second} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		began := time.Now()
		err = lim.Wait(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(began), 30*time.Second, "at once, not at the deadline")
		assert.Regexp(t, `^redislimit: the next turn is (59m59\.\d+s|1h0m0s) away, past the context's deadline: context deadline exceeded$`, err.Error())
	}

	other, err := redislimit.New(srv.Client(t), strings.Repeat("f", 40), 1, time.Hour)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.NoError(t, other.Wait(ctx))
}

// A Wait for a turn an hour away ends when its context is cancelled.
func TestWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	lim, err := redislimit.New(srv.Client(t), token, 1, time.Hour)
	require.NoError(t, err)
	require.NoError(t, lim.Wait(t.Context()))

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	err = lim.Wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualError(t, err, "redislimit: context canceled")
}

// With Redis gone, Wait fails with Redis's error: it never lets a request through
// without Redis's word.
func TestWaitFailsWithoutRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	lim, err := redislimit.New(srv.Client(t), token, 10, time.Second)
	require.NoError(t, err)
	require.NoError(t, lim.Wait(t.Context()))
	srv.Kill()

	err = lim.Wait(t.Context())
	require.ErrorIs(t, err, redislimit.ErrRedis)
	assert.True(t, strings.HasPrefix(err.Error(), "redislimit: asking Redis for a turn: dial unix "+srv.Socket()+": connect: "), err.Error())
	assert.NotContains(t, err.Error(), token)
}

// New refuses what cannot be a limit, naming the argument at fault.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	for _, tc := range []struct {
		rdb    redis.UniversalClient
		token  string
		n      int
		window time.Duration
		want   string
	}{
		{nil, token, 1, time.Second, "redislimit: New: Redis client is nil"},
		{rdb, "", 1, time.Second, "redislimit: New: token is empty"},
		{rdb, "\r\n", 1, time.Second, "redislimit: New: token is empty"},
		{rdb, token, 0, time.Second, "redislimit: New: n must be at least 1, got 0"},
		{rdb, token, -3, time.Second, "redislimit: New: n must be at least 1, got -3"},
		{rdb, token, 1, 0, "redislimit: New: window must be positive, got 0s"},
		{rdb, token, 1, -time.Second, "redislimit: New: window must be positive, got -1s"},
	} {
		lim, err := redislimit.New(tc.rdb, tc.token, tc.n, tc.window)
		assert.Nil(t, lim)
		assert.EqualError(t, err, tc.want)
	}
}

// Two clients on one token, each with its own Limiter and Redis connection as two
// processes would have, send 12 creates together against a fake that allows 10 a second:
// at 8 a second between them, none is answered 429, though each client's pacing sees
// only its own requests.
func TestClientsOnOneTokenStayWithinTheLimit(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	api := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(10, time.Second))
	defer api.Close()
	var wg sync.WaitGroup
	for range 2 {
		lim, err := redislimit.New(rs.Client(t), api.Token(), 8, time.Second)
		require.NoError(t, err)
		client := api.Client(pipedrive.WithRateLimiter(lim))
		for i := range 6 {
			wg.Go(func() {
				_, err := client.Files.CreateRemote(t.Context(), pipedrive.CreateRemoteFileRequest{
					FileType: pipedrive.GoogleDoc, Title: "Doc " + string(rune('a'+i)), Item: pipedrive.Deal(12),
				})
				assert.NoError(t, err)
			})
		}
	}
	wg.Wait()
	reqs := api.Requests()
	assert.Len(t, reqs, 12, "one request per create")
	for _, r := range reqs {
		assert.Equal(t, http.StatusOK, r.Status)
	}
}

// Redis lost: the call fails unsent, and its error does not say the outcome is unknown.
func TestClientCallFailsUnsentWithoutRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	api := pipedrivetest.NewServer()
	defer api.Close()
	lim, err := redislimit.New(rs.Client(t), api.Token(), 10, time.Second)
	require.NoError(t, err)
	client := api.Client(pipedrive.WithRateLimiter(lim))
	rs.Kill()

	_, err = client.Files.CreateRemote(t.Context(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not sent: waiting for the rate limiter: redislimit: asking Redis for a turn: ")
	assert.ErrorIs(t, err, redislimit.ErrRedis)
	assert.False(t, errors.Is(err, pipedrive.ErrOutcomeUnknown))
	assert.Empty(t, api.Requests())
}
