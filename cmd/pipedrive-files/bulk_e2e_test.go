package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// bulkFixture is a fake Pipedrive with the deals and Drive files of a generated input of
// n rows: half creates, half links, over 20 deals, plus one create that appears twice.
type bulkFixture struct {
	srv   *pipedrivetest.Server
	clk   *pipedrivetest.Clock
	path  string
	n     int
	hook  func(r pipedrivetest.Request) // called for every request; may be set before a run
	posts atomic.Int64
	mu    sync.Mutex
}

func newBulkFixture(t *testing.T, n int, opts ...pipedrivetest.Option) *bulkFixture {
	t.Helper()
	fx := &bulkFixture{clk: pipedrivetest.NewClock(time.Now()), n: n}
	fx.srv = pipedrivetest.NewServer(append([]pipedrivetest.Option{
		pipedrivetest.WithClock(fx.clk.Now),
		pipedrivetest.WithRequestHook(func(r pipedrivetest.Request) {
			if r.Method == http.MethodPost {
				fx.posts.Add(1)
			}
			fx.mu.Lock()
			hook := fx.hook
			fx.mu.Unlock()
			if hook != nil {
				hook(r)
			}
		}),
	}, opts...)...)
	t.Cleanup(fx.srv.Close)
	for d := range 20 {
		fx.srv.AddDeal(pipedrivetest.Deal{ID: int64(100 + d), Title: fmt.Sprintf("Deal %d", d)})
	}
	var in strings.Builder
	in.WriteString("action,item_type,item_id,file_type,title,url\n")
	for i := range n {
		deal := 100 + i%20
		if i%2 == 0 {
			fmt.Fprintf(&in, "create,deal,%d,gsheet,Pricing %d,\n", deal, i)
			continue
		}
		id := fx.srv.AddDriveFile(pipedrivetest.DriveFile{ID: fmt.Sprintf("1drive%03dXYZ", i), Name: fmt.Sprintf("Contract %d", i)})
		fmt.Fprintf(&in, "link,deal,%d,,,https://docs.google.com/document/d/%s/edit\n", deal, id)
	}
	fx.path = filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(fx.path, []byte(in.String()), 0o644))
	return fx
}

func (fx *bulkFixture) setHook(h func(pipedrivetest.Request)) {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	fx.hook = h
}

// run runs bulk on the fixture's input against its server.
func (fx *bulkFixture) run(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	return runWithClock(t, ctx, fx.clk, envFor(fx.srv), append([]string{"bulk", fx.path}, args...)...)
}

// landing carries every request through to its answer even when the caller gives up on
// it, and only then reports the caller's cancellation: each abandoned call lands before
// the command returns (the worst case for the next run), and none is still on its way
// when the next run looks, which the fake clock's settle wait could not ensure.
type landing struct{ next http.RoundTripper }

func (l landing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
	if err == nil && req.Context().Err() != nil {
		_ = resp.Body.Close()
		return nil, req.Context().Err()
	}
	return resp, err
}

// assertExactlyOnce checks that the fake holds exactly one file per create row and one
// link per link row, and nothing else.
func (fx *bulkFixture) assertExactlyOnce(t *testing.T) {
	t.Helper()
	created, linked := map[string]int{}, map[string]int{}
	for _, f := range fx.srv.Files() {
		key := fmt.Sprintf("%d/%s", f.DealID, f.Name)
		if strings.HasPrefix(f.RemoteID, "1drive") {
			linked[fmt.Sprintf("%d/%s", f.DealID, f.RemoteID)]++
		} else {
			created[key]++
		}
	}
	for i := range fx.n {
		deal := 100 + i%20
		if i%2 == 0 {
			assert.Equal(t, 1, created[fmt.Sprintf("%d/Pricing %d", deal, i)], "create row %d", i)
		} else {
			assert.Equal(t, 1, linked[fmt.Sprintf("%d/1drive%03dXYZ", deal, i)], "link row %d", i)
		}
	}
	assert.Len(t, fx.srv.Files(), fx.n)
}

// 200 rows, 8 workers and a rate limit: every row done, each file made exactly once, the
// summary and the report say so, and the journal does not hold the token.
func TestBulk200RowsWithWorkersUnderARateLimit(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 200, pipedrivetest.WithRateLimit(40, 2*time.Second))
	reportPath := filepath.Join(t.TempDir(), "report.csv")
	r := fx.run(t, context.Background(), "--workers", "8", "--json", "--report", reportPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	fx.assertExactlyOnce(t)

	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	assert.Equal(t, 200, s.Rows)
	assert.Equal(t, 200, s.Done)
	assert.Zero(t, s.Failed+s.Unknown+s.NotSent+s.NotStarted+s.Skipped+s.AlreadyLinked)
	reqs := fx.srv.Requests()
	assert.Equal(t, int64(len(reqs)), s.Requests, "every request the server saw is counted")
	limited, accepted := 0, 0
	for _, req := range reqs {
		switch {
		case req.Status == http.StatusTooManyRequests:
			limited++
		case req.Method == http.MethodPost && req.Status == http.StatusOK:
			accepted++
		}
	}
	assert.Equal(t, int64(limited), s.RateLimited)
	assert.Equal(t, 200, accepted, "one POST carried out per row")
	t.Logf("200 rows, 8 workers, 40 requests/2s: %d requests, %d answered 429", len(reqs), limited)

	rows := readReport(t, reportPath)
	require.Len(t, rows, 201)
	assert.Equal(t, []string{"line", "action", "item_type", "item_id", "file_type", "title", "remote_id", "outcome", "file_id", "error"}, rows[0])
	assert.Equal(t, []string{"2", "create", "deal", "100", "gsheet", "Pricing 0", "", "done"}, rows[1][:8])
	assert.Equal(t, []string{"3", "link", "deal", "101", "", "", "1drive001XYZ", "done"}, rows[2][:8])
	assert.NotEmpty(t, rows[2][8])

	journal, err := os.ReadFile(fx.path + ".journal")
	require.NoError(t, err)
	assert.NotContains(t, string(journal), fx.srv.Token())
	assert.Equal(t, 402, strings.Count(string(journal), "\n"), "a header, then sending and done for each row, then stopped")
	assert.True(t, strings.HasSuffix(string(journal), "\n{\"state\":\"stopped\",\"at\":\""+fx.clk.Now().UTC().Format(time.RFC3339Nano)+"\"}\n"), "the run's end is recorded")

	// Again: nothing is sent, every row is skipped.
	before := len(fx.srv.Requests())
	r = fx.run(t, context.Background())
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "200 rows: done 0, already linked 0, skipped (done earlier) 200, failed 0, unknown 0.\n")
	assert.Len(t, fx.srv.Requests(), before)
}

func readReport(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// Interrupted after about half the rows, then run again: the same exact counts, nothing
// twice, nothing missing. A first interrupt lets the calls in flight finish; a second
// abandons them, and the next run looks for their files before sending anything.
func TestBulkInterruptedThenRerun(t *testing.T) {
	t.Parallel()
	for _, abandon := range []bool{false, true} {
		fx := newBulkFixture(t, 200)
		soft, interrupt := context.WithCancel(context.Background())
		hard, abandonCalls := context.WithCancel(context.Background())
		fx.setHook(func(pipedrivetest.Request) {
			if fx.posts.Load() == 100 {
				interrupt()
				if abandon {
					abandonCalls()
				}
			}
		})
		r := runThrough(t, withAbandon(soft, hard), fx.clk, func(rt http.RoundTripper) http.RoundTripper { return landing{rt} },
			envFor(fx.srv), "bulk", fx.path, "--workers", "8")
		interrupt()
		abandonCalls()
		require.Equal(t, exitInterrupted, r.code, r.stderr)
		assert.Contains(t, r.stderr, "interrupted: finishing the calls in flight (press Ctrl-C again to abandon them)")
		assert.Contains(t, r.stdout, "Interrupted: run the same command again to go on")
		made := len(fx.srv.Files())
		assert.GreaterOrEqual(t, made, 100)
		assert.LessOrEqual(t, made, 108, "no row started after the interrupt but those in flight")

		fx.setHook(nil)
		r = fx.run(t, context.Background(), "--workers", "8", "--json")
		require.Equal(t, exitOK, r.code, r.stderr)
		fx.assertExactlyOnce(t)
		var s summary
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
		assert.Equal(t, 200, s.Done+s.Skipped, "abandon %v", abandon)
		if abandon {
			// The abandoned calls landed, unanswered (landing), so made is a lower bound;
			// the rerun waited, on the fake clock, before looking for their files.
			assert.Contains(t, r.stderr, "with calls in flight: waiting ")
			assert.True(t, slices.ContainsFunc(r.waits, func(d time.Duration) bool { return d > 0 && d <= pipedrive.SettleTime }),
				"a settle wait of at most SettleTime: %v", r.waits)
		} else {
			// The calls in flight finished before the command returned: the rerun sent
			// exactly the rows the first run did not.
			assert.Equal(t, 200-made, s.Done, "only the missing rows were sent")
			assert.Zero(t, countFound(t, fx.path+".journal"))
		}
	}
}

// countFound counts the rows the journal says were found on their item rather than sent.
func countFound(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Count(string(data), `"how":"found"`)
}

// Answers lost after the server carried the request out are looked for, never resent:
// two creates and two links. One worker, so that the hook knows which request comes next
// (the lost answer goes to the request after the one the hook sees).
func TestBulkLostAnswersAreFoundWithoutDuplicates(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 40)
	var (
		prev     string
		creates  int
		links    int
		lostPath []string
	)
	fx.setHook(func(r pipedrivetest.Request) {
		op := fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status)
		switch {
		case op == "POST /api/v1/files/remoteLink 200":
			if links++; links == 3 || links == 7 { // the next request is a create row's POST
				lostPath = append(lostPath, "/api/v1/files/remote")
				fx.srv.FailNextAfterCommit(http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>")
			}
		case r.Method == http.MethodGet && prev == "POST /api/v1/files/remote 200":
			if creates++; creates == 5 || creates == 9 { // the next request is a link row's POST
				lostPath = append(lostPath, "/api/v1/files/remoteLink")
				fx.srv.FailNextAfterCommit(http.StatusGatewayTimeout, "")
			}
		}
		prev = op
	})
	r := fx.run(t, context.Background(), "--workers", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	fx.assertExactlyOnce(t)
	var lost []string
	for _, req := range fx.srv.Requests() {
		if req.Method == http.MethodPost && req.Status >= 500 {
			lost = append(lost, req.Path)
		}
	}
	assert.Equal(t, lostPath, lost)
	assert.Len(t, lost, 4)
	assert.Equal(t, 2, countFound(t, fx.path+".journal"), "the two creates were found on their item")
}

// A crash while writing the journal leaves a torn last line: the next run ignores it,
// looks for that row on its item, and finds it done.
func TestBulkTornJournalLine(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 10)
	r := fx.run(t, context.Background(), "--workers", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	journalPath := fx.path + ".journal"
	data, err := os.ReadFile(journalPath)
	require.NoError(t, err)
	// A crash writes no stopped record: drop it, and cut the last row record (row 10's
	// "done") in the middle, as a crash would.
	data = data[:strings.LastIndex(strings.TrimSuffix(string(data), "\n"), "\n")+1]
	last := strings.LastIndex(strings.TrimSuffix(string(data), "\n"), "\n")
	require.NoError(t, os.WriteFile(journalPath, data[:last+30], 0o644))

	r = fx.run(t, context.Background(), "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	fx.assertExactlyOnce(t)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, 9, s.Skipped)
	assert.Equal(t, 1, s.Done)
	after, err := os.ReadFile(journalPath)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(after), string(data[:last+1])), "the torn line was cut off, the rest kept")
	assert.Contains(t, string(after[last+1:]), `"how":"found"`)
}

// A link already on its item is reported as such; a failure is reported, kept, and
// retried only with --retry-failed.
func TestBulkAlreadyLinkedAndRetryFailed(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	path := writeInput(t, "action,item_type,item_id,file_type,title,remote_id\n"+
		"link,person,5,,,123magicfile123\n"+
		"create,deal,77,gdoc,Later,\n")
	_, err := srv.Client().Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)})
	require.NoError(t, err)
	reportPath := filepath.Join(t.TempDir(), "report.csv")
	r := runWith(t, envFor(srv), "bulk", path, "--report", reportPath)
	assert.Equal(t, exitAPI, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2 rows: done 0, already linked 1, skipped (done earlier) 0, failed 1, unknown 0.\n")
	rows := readReport(t, reportPath)
	assert.Equal(t, []string{"2", "link", "person", "5", "", "", "123magicfile123", "already_linked", "1", ""}, rows[1])
	assert.Equal(t, []string{"3", "create", "deal", "77", "gdoc", "Later", "", "failed", "", "pipedrive: POST /files/remote: 404 Not Found: Deal not found"}, rows[2])
	assert.Len(t, srv.Files(), 1)

	srv.AddDeal(pipedrivetest.Deal{ID: 77, Title: "Now it exists"})
	r = runWith(t, envFor(srv), "bulk", path)
	assert.Equal(t, exitAPI, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 row failed in an earlier run and not retried: add --retry-failed to retry.\n")
	assert.Len(t, srv.Files(), 1)
	r = runWith(t, envFor(srv), "bulk", path, "--retry-failed")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2 rows: done 1, already linked 0, skipped (done earlier) 1, failed 0, unknown 0.\n")
	assert.Len(t, srv.Files(), 2)
}

// bulk --fake runs on a fake inside the process: no account, no environment.
func TestBulkOnTheInProcessFake(t *testing.T) {
	t.Parallel()
	path := writeInput(t, "action,item_type,item_id,file_type,title,url\n"+
		"create,deal,12,gdoc,Proposal for Acme,\n"+
		"link,person,5,,,https://docs.google.com/document/d/123magicfile123/edit\n")
	r := runWith(t, nil, "bulk", "--fake", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, path+": 2 rows: done 2, already linked 0, skipped (done earlier) 0, failed 0, unknown 0.\n")
	assert.Regexp(t, `using a fake Pipedrive at http://127\.0\.0\.1:\d+/api/v1 \(--fake\)`, r.stderr)
}

// A spent daily budget stops the run: the rows refused are not sent, the others not
// started, and the next day's run does exactly the rest.
func TestBulkStopsWhenTheDailyBudgetIsSpent(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now), pipedrivetest.WithDailyBudget(100)) // 10 POSTs
	defer srv.Close()
	var in strings.Builder
	in.WriteString("action,item_type,item_id,file_type,title\n")
	for i := range 25 {
		fmt.Fprintf(&in, "create,deal,12,gdoc,Doc %d\n", i)
	}
	path := writeInput(t, in.String())
	r := runWithClock(t, context.Background(), clk, envFor(srv), "bulk", path, "--workers", "3", "--json")
	assert.Equal(t, exitAPI, r.code, r.stderr)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	assert.Equal(t, 10, s.Done)
	assert.Equal(t, 15, s.NotSent+s.NotStarted)
	assert.Positive(t, s.NotSent)
	assert.Regexp(t, `^the daily rate-limit budget is spent: run the same command again once it resets \(in [34]h[0-9]+m[0-9]+s\): `, s.Stopped)
	assert.Len(t, srv.Files(), 10)

	clk.Advance(5 * time.Hour) // the next day, UTC
	r = runWithClock(t, context.Background(), clk, envFor(srv), "bulk", path, "--workers", "3", "--json")
	require.Equal(t, exitAPI, r.code, "the new day's budget covers 10 more rows: %s", r.stdout)
	clk.Advance(24 * time.Hour)
	r = runWithClock(t, context.Background(), clk, envFor(srv), "bulk", path, "--workers", "3", "--json")
	require.Equal(t, exitOK, r.code, r.stdout)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, 20, s.Skipped)
	assert.Equal(t, 5, s.Done)
	names := map[string]int{}
	for _, f := range srv.Files() {
		names[f.Name]++
	}
	assert.Len(t, names, 25)
	assert.Len(t, srv.Files(), 25, "each row exactly once")
}

// A 401 stops the run at once with advice to check the token, not to run the same
// command again as if the failure would pass; the row that met it is sent by the next run.
func TestBulkUnauthorizedStopsWithTokenAdvice(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 6)
	env := envFor(fx.srv)
	env["PIPEDRIVE_API_TOKEN"] = strings.Repeat("0", 40) // a token the fake does not know
	r := runWithClock(t, t.Context(), fx.clk, env, "bulk", fx.path, "--workers", "1", "--json")
	assert.Equal(t, exitAPI, r.code, r.stderr)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, 1, s.NotSent)
	assert.Equal(t, 5, s.NotStarted)
	assert.Contains(t, s.Stopped, "Pipedrive refused the API token (401): check PIPEDRIVE_API_TOKEN")
	assert.NotContains(t, r.stdout+r.stderr, env["PIPEDRIVE_API_TOKEN"])
	assert.Equal(t, int64(1), fx.posts.Load(), "one request, refused; no other row started")
	assert.Empty(t, fx.srv.Files())

	r = fx.run(t, t.Context(), "--json")
	assert.Equal(t, exitOK, r.code, r.stderr)
	fx.assertExactlyOnce(t)
}

// deletes counts the DELETE requests the fake has answered.
func deletes(srv *pipedrivetest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete {
			n++
		}
	}
	return n
}

// bulk --undo deletes each file the plan created or linked exactly once, never a file
// that was linked before the plan ran; stopped part way it goes on where it stopped; a
// second undo sends nothing and exits 0.
func TestBulkUndo(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 40)
	client := fx.srv.Client()
	// Row 1 (a link to deal 101) was linked before the plan ran.
	earlier, _, err := client.Files.EnsureLinked(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: "1drive001XYZ", Item: pipedrive.Deal(101)})
	require.NoError(t, err)
	r := fx.run(t, t.Context(), "--workers", "4")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Len(t, fx.srv.Files(), 40)

	// An undo interrupted after its 10th delete.
	soft, interrupt := context.WithCancel(t.Context())
	fx.setHook(func(req pipedrivetest.Request) {
		if req.Method == http.MethodDelete && deletes(fx.srv) >= 10 {
			interrupt()
		}
	})
	r = runWithClock(t, soft, fx.clk, envFor(fx.srv), "bulk", fx.path, "--undo", "--workers", "2")
	interrupt()
	require.Equal(t, exitInterrupted, r.code, r.stderr)
	first := deletes(fx.srv)
	assert.LessOrEqual(t, first, 12, "no delete started after the interrupt but those in flight")
	fx.setHook(nil)

	reportPath := filepath.Join(t.TempDir(), "undo.csv")
	r = fx.run(t, t.Context(), "--undo", "--json", "--report", reportPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.True(t, s.Undo)
	assert.Equal(t, 39, s.Rows, "every file the plan made, not the one linked before it")
	assert.Equal(t, 39-first, s.Done)
	assert.Equal(t, first, s.Skipped)
	assert.Equal(t, fx.path+".journal.undo", s.Journal)
	assert.Equal(t, 39, deletes(fx.srv), "each file deleted exactly once")
	for _, f := range fx.srv.Files() {
		assert.Equal(t, f.ID == earlier.ID, f.ActiveFlag, "file %d", f.ID)
	}
	rows := readReport(t, reportPath)
	require.Len(t, rows, 40) // the header and a row per file
	assert.Equal(t, []string{"delete", "", ""}, rows[1][1:4])

	r = fx.run(t, t.Context(), "--undo")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "undo of 39 files: deleted 0, already gone 0, skipped (undone earlier) 39")
	assert.Equal(t, 39, deletes(fx.srv), "a second undo sends nothing")
}

// An undo of a plan that never ran has nothing to do and makes no journal.
func TestBulkUndoWithoutAJournal(t *testing.T) {
	t.Parallel()
	fx := newBulkFixture(t, 4)
	r := fx.run(t, t.Context(), "--undo")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "the plan has not run, so there is nothing to undo")
	assert.NoFileExists(t, fx.path+".journal")
	assert.NoFileExists(t, fx.path+".journal.undo")
	assert.Empty(t, fx.srv.Requests())
}
