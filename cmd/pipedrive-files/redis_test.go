package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/internal/redistest"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// runOnWallClock runs the command in-process on the wall clock, as a process would: the Redis
// limiter's waits are real, so the client's and the fake's must be too.
func runOnWallClock(t *testing.T, ctx context.Context, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	hc, dialed := loopbackOnly(t)
	code := run(ctx, &env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Clock: pipedrive.WallClock(), Options: []pipedrive.Option{pipedrive.WithHTTPClient(hc)}}, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), dialed: dialed()}
}

// with is vars plus key=value.
func withVar(vars map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// writeCreateRows writes a bulk input of n creates on deals 12 and 13, titled prefix 1 to n.
func writeCreateRows(t *testing.T, n int, prefix string) string {
	t.Helper()
	var in strings.Builder
	in.WriteString("action,item_type,item_id,file_type,title\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&in, "create,deal,%d,gdoc,%s %d\n", 12+i%2, prefix, i)
	}
	path := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(path, []byte(in.String()), 0o644))
	return path
}

// redisBulkSummary is the part of bulk's --json summary these tests read.
type redisBulkSummary struct {
	Done        int    `json:"done"`
	NotSent     int    `json:"not_sent"`
	NotStarted  int    `json:"not_started"`
	Unknown     int    `json:"unknown"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Stopped     string `json:"stopped"`
	Requests    int64  `json:"requests"`
	RateLimited int64  `json:"rate_limited"`
}

func parseRedisSummary(t *testing.T, r result) redisBulkSummary {
	t.Helper()
	var s redisBulkSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return s
}

// statuses counts the requests srv answered with each status.
func statusCounts(srv *pipedrivetest.Server) map[int]int {
	out := map[int]int{}
	for _, r := range srv.Requests() {
		out[r.Status]++
	}
	return out
}

// titles counts the files on the fake by name.
func fileTitles(srv *pipedrivetest.Server) map[string]int {
	out := map[string]int{}
	for _, f := range srv.Files() {
		out[f.Name]++
	}
	return out
}

// redisTokenKey is the Redis key of token's schedule.
func redisTokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "rate:pipedrive:" + hex.EncodeToString(sum[:])
}

// Two bulk runs on one token, as two processes would be, share --rate-limit 8/1s through
// Redis against a fake that allows 10 a second: no 429, every row done once, and 12
// requests take at least 11 turns of 125 ms between them (each alone would take half
// that). Redis holds one key, named by the token's hash, and nothing of the token.
func TestBulkRunsShareTheRateLimitThroughRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(10, time.Second))
	defer srv.Close()
	vars := withVar(envFor(srv), "PIPEDRIVE_REDIS_URL", rs.URL())
	inputs := []string{writeCreateRows(t, 6, "A"), writeCreateRows(t, 6, "B")}

	results := make([]result, len(inputs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, in := range inputs {
		wg.Go(func() {
			results[i] = runOnWallClock(t, t.Context(), vars, "bulk", "--json", "--rate-limit", "8/1s", in)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	for _, r := range results {
		require.Equal(t, exitOK, r.code, r.stderr)
		s := parseRedisSummary(t, r)
		assert.Equal(t, redisBulkSummary{Done: 6, Requests: 6}, s)
		noToken(t, r, srv.Token())
	}
	assert.Equal(t, map[int]int{http.StatusOK: 12}, statusCounts(srv))
	for _, prefix := range []string{"A", "B"} {
		for i := 1; i <= 6; i++ {
			assert.Equal(t, 1, fileTitles(srv)[fmt.Sprintf("%s %d", prefix, i)])
		}
	}
	assert.GreaterOrEqual(t, elapsed, 11*125*time.Millisecond-20*time.Millisecond, "one schedule for both")

	rdb := rs.Client(t)
	assert.Equal(t, []string{redisTokenKey(srv.Token())}, redistest.Keys(t, rdb))
	val, err := rdb.Get(t.Context(), redisTokenKey(srv.Token())).Result()
	if err != redis.Nil { // the key may have expired since
		require.NoError(t, err)
		assert.NotContains(t, val, srv.Token())
	}
}

// Redis lost mid-run (redis-server killed): the rows waiting for a turn stop not_sent, the
// rest are not started, nothing is sent without a turn, and no row's outcome is unknown.
// The next run, with Redis back, sends exactly the rows that were not: each file once.
func TestBulkRedisLostMidRunStopsNotSentAndResumes(t *testing.T) {
	t.Parallel()
	const rows = 30
	rs := redistest.Start(t)
	srv := pipedrivetest.NewServer(pipedrivetest.WithRequestHook(func(r pipedrivetest.Request) {
		if r.Method == http.MethodPost && r.Form.Get("title") == "Doc 5" {
			go rs.Kill() // while the workers wait for their next turns
		}
	}))
	defer srv.Close()
	in := writeCreateRows(t, rows, "Doc")

	r := runOnWallClock(t, t.Context(), envFor(srv), "bulk", "--json", "--workers", "4", "--redis-url", rs.URL(), "--rate-limit", "20/1s", in)
	require.Equal(t, exitAPI, r.code, r.stderr)
	s := parseRedisSummary(t, r)
	sent := len(srv.Requests())
	assert.Positive(t, sent)
	assert.Less(t, sent, rows)
	assert.Equal(t, sent, s.Done, "every request sent was answered: its row is done")
	assert.GreaterOrEqual(t, s.NotSent, 1)
	assert.Equal(t, rows, s.Done+s.NotSent+s.NotStarted)
	assert.Zero(t, s.Unknown)
	assert.Zero(t, s.Failed)
	assert.Regexp(t, `^Redis, which the rate limit is shared through \(--redis-url, PIPEDRIVE_REDIS_URL\), stopped answering, so no further request was sent: `+
		`run the same command again once it is back to go on: pipedrive: POST /files/remote: not sent: waiting for the rate limiter: `+
		`redislimit: asking Redis for a turn: .+$`, s.Stopped)
	assert.Empty(t, r.stderr)

	back := redistest.Start(t)
	r = runOnWallClock(t, t.Context(), envFor(srv), "bulk", "--json", "--redis-url", back.URL(), "--rate-limit", "20/1s", in)
	require.Equal(t, exitOK, r.code, r.stderr)
	s = parseRedisSummary(t, r)
	assert.Empty(t, s.Stopped)
	assert.Equal(t, rows-sent, s.Done)
	assert.Equal(t, sent, s.Skipped)
	assert.Equal(t, int64(rows-sent), s.Requests, "only the rows not sent before")
	assert.Len(t, srv.Requests(), rows)
	got := fileTitles(srv)
	for i := 1; i <= rows; i++ {
		assert.Equal(t, 1, got[fmt.Sprintf("Doc %d", i)], "Doc %d exactly once", i)
	}
}

// Redis unreachable at start: exit 1 with a clear message naming where the URL came from
// (its password masked), nothing sent, no journal made; for bulk and the single calls.
func TestRedisUnreachableAtStart(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	gone := redistest.Start(t)
	gone.Kill()
	in := writeCreateRows(t, 3, "Doc")
	t.Cleanup(func() {
		assert.Empty(t, srv.Requests())
		assert.NoFileExists(t, in+".journal")
	})
	for _, tc := range []struct {
		cmd  string
		args []string
	}{
		{"bulk", []string{"bulk", in}},
		{"create", []string{"create", "--title", "Proposal", "--deal", "12"}},
		{"link", []string{"link", "--remote-id", "123magicfile123", "--deal", "12"}},
		{"list", []string{"list", "--deal", "12"}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			r := runOnWallClock(t, t.Context(), envFor(srv), append(tc.args, "--redis-url", gone.URL())...)
			assert.Equal(t, exitAPI, r.code, tc.cmd)
			assert.Equal(t, fmt.Sprintf("pipedrive-files %s: cannot reach Redis at %s (--redis-url), which the rate limit is shared through; nothing was sent: dial unix %s: connect: connection refused\n",
				tc.cmd, gone.URL(), gone.Socket()), r.stderr)

			r = runOnWallClock(t, t.Context(), withVar(envFor(srv), "PIPEDRIVE_REDIS_URL", "redis://:s3cret-pass@127.0.0.1:1/0"), tc.args...)
			assert.Equal(t, exitAPI, r.code, tc.cmd)
			assert.Equal(t, fmt.Sprintf("pipedrive-files %s: cannot reach Redis at redis://:xxxxx@127.0.0.1:1/0 (PIPEDRIVE_REDIS_URL), which the rate limit is shared through; nothing was sent: dial tcp 127.0.0.1:1: connect: connection refused\n", tc.cmd), r.stderr)
		})
	}
}

// Mistakes in the flags are usage errors naming the flag or variable, sent nothing, and a
// URL that does not parse is not quoted (it may hold a password).
func TestRedisFlagMistakes(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		vars map[string]string
		args []string
		msg  string
	}{
		{envFor(srv), []string{"--redis-url", "http://localhost:6379"}, "--redis-url: redis: invalid URL scheme: http"},
		{withVar(envFor(srv), "PIPEDRIVE_REDIS_URL", "redis://:pa ss%zz@localhost"), nil, "PIPEDRIVE_REDIS_URL: not a valid URL: want redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://... or unix:///PATH"},
		{envFor(srv), []string{"--redis-url", "redis://localhost:1", "--rate-limit", "20"}, `--rate-limit: want N/WINDOW with N a positive number of requests, e.g. 20/2s; got "20"`},
		{envFor(srv), []string{"--rate-limit", "20/0s"}, `--rate-limit: want N/WINDOW with WINDOW a positive duration, e.g. 20/2s; got "20/0s"`},
		{nil, []string{"--fake", "--redis-url", "redis://localhost:1"}, "--redis-url cannot be combined with --fake: each --fake process has a fake Pipedrive of its own, with no limit to share"},
	} {
		r := runOnWallClock(t, t.Context(), tc.vars, append([]string{"list", "--deal", "12"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Equal(t, "pipedrive-files list: "+tc.msg+"\nRun 'pipedrive-files list -h' for usage.\n", r.stderr, tc.args)
		assert.NotContains(t, r.stderr, "pa ss")
	}
	assert.Empty(t, srv.Requests())
}

// create, link and list take their turns from Redis too, by the token's key; with --fake,
// PIPEDRIVE_REDIS_URL is ignored, and --rate-limit alone limits the one process.
func TestSingleCallsTakeTheirTurnsFromRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	vars := withVar(envFor(srv), "PIPEDRIVE_REDIS_URL", rs.URL())
	for _, args := range [][]string{
		{"create", "--title", "Proposal", "--deal", "12"},
		{"link", "--no-check", "--remote-id", "123magicfile123", "--deal", "13"},
		{"list", "--deal", "12"},
	} {
		// One turn an hour: the command's one request takes it, and the key stays for the
		// test to see (it expires once the turn has passed); the test deletes it for the next.
		r := runOnWallClock(t, t.Context(), vars, append(args, "--rate-limit", "1/1h")...)
		require.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
		assert.Equal(t, []string{redisTokenKey(srv.Token())}, redistest.Keys(t, rdb), args)
		require.NoError(t, rdb.Del(t.Context(), redisTokenKey(srv.Token())).Err())
	}
	assert.Len(t, srv.Requests(), 3, "one request each")

	r := runOnWallClock(t, t.Context(), vars, "list", "--fake", "--deal", "12", "--rate-limit", "5/1s")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, redistest.Keys(t, rdb))
}

// --rate-limit without --redis-url spaces this process's requests, one every WINDOW/N.
func TestRateLimitAloneSpacesTheProcesssRequests(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	in := writeCreateRows(t, 6, "Doc")
	start := time.Now()
	r := runOnWallClock(t, t.Context(), envFor(srv), "bulk", "--json", "--rate-limit", "10/1s", in)
	elapsed := time.Since(start)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, redisBulkSummary{Done: 6, Requests: 6}, parseRedisSummary(t, r))
	assert.GreaterOrEqual(t, elapsed, 5*100*time.Millisecond-10*time.Millisecond)
}
