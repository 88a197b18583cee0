package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// memFiles is an in-memory filesAPI whose calls a test can script: the engine's behaviour
// on every outcome, without a server.
type memFiles struct {
	mu    sync.Mutex
	files []pipedrive.RemoteFile
	now   time.Time
	posts int // create and link requests that reached the "server"
	// fault, when set, decides a POST's fate: commit carries it out, err replaces the answer.
	fault func(post int, item pipedrive.Item) (commit bool, err error)
	// owned stands in for the engine's SkipFiles, which a fake cannot read (FindOptions are
	// opaque outside package pipedrive): FindCreated called with options skips the files
	// it reports. engineRun sets it to the engine's owned.
	owned func(fileID int64) bool
	// findErr, when set, is FindCreated's answer: a failed list.
	findErr error
}

func (m *memFiles) post(item pipedrive.Item, f pipedrive.RemoteFile) (*pipedrive.RemoteFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.posts++
	commit, err := true, error(nil)
	if m.fault != nil {
		commit, err = m.fault(m.posts, item)
	}
	if !commit {
		return nil, err
	}
	m.now = m.now.Add(time.Second)
	f.ID, f.AddTime, f.ActiveFlag, f.RemoteLocation = int64(len(m.files)+1), m.now, true, "googledrive"
	if f.RemoteID == "" {
		f.RemoteID = fmt.Sprintf("new%d", f.ID)
	}
	switch item.Type {
	case pipedrive.ItemDeal:
		f.DealID = item.ID
	case pipedrive.ItemPerson:
		f.PersonID = item.ID
	default:
		f.OrgID = item.ID
	}
	m.files = append(m.files, f)
	return &f, err
}

func (m *memFiles) CreateRemote(_ context.Context, r pipedrive.CreateRemoteFileRequest) (*pipedrive.RemoteFile, error) {
	f, err := m.post(r.Item, pipedrive.RemoteFile{Name: r.Title, FileType: r.FileType})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (m *memFiles) EnsureLinked(ctx context.Context, r pipedrive.LinkRemoteFileRequest) (*pipedrive.RemoteFile, bool, error) {
	for f, err := range m.List(ctx, r.Item) {
		if err != nil {
			return nil, false, err
		}
		if f.RemoteID == r.RemoteID {
			return f, false, nil
		}
	}
	f, err := m.post(r.Item, pipedrive.RemoteFile{Name: "Drive " + r.RemoteID, FileType: pipedrive.GoogleDoc, RemoteID: r.RemoteID})
	if err != nil {
		return nil, false, err
	}
	return f, true, nil
}

func (m *memFiles) FindCreated(ctx context.Context, r pipedrive.CreateRemoteFileRequest, since time.Time, opts ...pipedrive.FindOption) (*pipedrive.RemoteFile, error) {
	if m.findErr != nil {
		return nil, m.findErr
	}
	var newest *pipedrive.RemoteFile
	for f, err := range m.List(ctx, r.Item) {
		if err != nil {
			return nil, err
		}
		if len(opts) > 0 && m.owned != nil && m.owned(f.ID) {
			continue
		}
		if f.Name == r.Title && f.FileType == r.FileType && !f.AddTime.Before(since.Add(-pipedrive.ClockSkewAllowance)) {
			newest = f
		}
	}
	if newest == nil {
		return nil, fmt.Errorf("none: %w", pipedrive.ErrNotCreated)
	}
	return newest, nil
}

func (m *memFiles) List(_ context.Context, item pipedrive.Item) iter.Seq2[*pipedrive.RemoteFile, error] {
	return func(yield func(*pipedrive.RemoteFile, error) bool) {
		m.mu.Lock()
		var on []pipedrive.RemoteFile
		for _, f := range m.files {
			if f.DealID == item.ID && item.Type == pipedrive.ItemDeal || f.PersonID == item.ID && item.Type == pipedrive.ItemPerson ||
				f.OrgID == item.ID && item.Type == pipedrive.ItemOrganization {
				on = append(on, f)
			}
		}
		m.mu.Unlock()
		for i := range on {
			if !yield(&on[i], nil) {
				return
			}
		}
	}
}

// count is the number of files on item with this name.
func (m *memFiles) count(item pipedrive.Item, name string) int {
	n := 0
	for f := range m.List(context.Background(), item) {
		if f.Name == name {
			n++
		}
	}
	return n
}

// engineRun runs the engine over input with the journal in dir, as bulk does.
type engineRun struct {
	t     *testing.T
	dir   string
	input string
	files *memFiles
	// settled lists the waits before rows left in flight were looked for.
	settled []time.Duration
}

func (r *engineRun) open() (*rowReader, func(), error) {
	rr, err := newRowReader(strings.NewReader(r.input))
	return rr, func() {}, err
}

// run runs the engine once, without interruption; configure, if not nil, adjusts it first.
func (r *engineRun) run(configure func(*engine)) (*engine, map[rowID]rowState) {
	r.t.Helper()
	return r.runInterrupted(context.Background(), context.Background(), configure)
}

// runInterrupted runs the engine once with the contexts an interrupt cancels: soft
// stops new rows, hard abandons calls in flight.
func (r *engineRun) runInterrupted(soft, hard context.Context, configure func(*engine)) (*engine, map[rowID]rowState) {
	r.t.Helper()
	j, states, err := openJournal(filepath.Join(r.dir, "journal"), testInput("rows.csv"), r.Now)
	require.NoError(r.t, err)
	defer j.Close()
	e := newEngine(r.files, j, states, r, 4, false)
	r.files.owned = e.owned
	if configure != nil {
		configure(e)
	}
	require.NoError(r.t, e.run(soft, hard, r.open))
	return e, e.states
}

// Now is the memFiles' clock: the engine's and its journal's.
func (r *engineRun) Now() time.Time {
	r.files.mu.Lock()
	defer r.files.mu.Unlock()
	return r.files.now
}

// Sleep records d and moves the memFiles' clock on by it.
func (r *engineRun) Sleep(_ context.Context, d time.Duration) error {
	r.files.mu.Lock()
	defer r.files.mu.Unlock()
	r.settled = append(r.settled, d)
	r.files.now = r.files.now.Add(d)
	return nil
}

// outcomes maps each row's line to its outcome.
func (r *engineRun) outcomes(states map[rowID]rowState) map[int]string {
	out := map[int]string{}
	rr, _, err := r.open()
	require.NoError(r.t, err)
	for {
		row, id, err := rr.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(r.t, err)
		out[row.line] = outcomeOf(states[id])
	}
}

const engineHeader = "action,item_type,item_id,file_type,title,remote_id\n"

func newEngineRun(t *testing.T, rows string) *engineRun {
	return &engineRun{t: t, dir: t.TempDir(), input: engineHeader + rows, files: &memFiles{now: time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)}}
}

func TestEngineDoesEachRowOnce(t *testing.T) {
	t.Parallel()
	var rows strings.Builder
	for i := range 40 {
		fmt.Fprintf(&rows, "create,deal,%d,gdoc,Doc %d,\n", i%5+1, i%10) // each title twice per deal
		fmt.Fprintf(&rows, "link,person,%d,,,drive%d\n", i%3+1, i)
	}
	r := newEngineRun(t, rows.String())
	r.files.files = append(r.files.files, pipedrive.RemoteFile{ID: 99, PersonID: 1, RemoteID: "drive0", ActiveFlag: true})
	e, states := r.run(nil)
	assert.Empty(t, e.stopReason())
	assert.Equal(t, 79, r.files.posts, "one request per row but the link already there")
	assert.Len(t, r.files.files, 80)
	for d := 1; d <= 5; d++ {
		for i := range 10 {
			if i%5+1 == d {
				assert.Equal(t, 4, r.files.count(pipedrive.Deal(int64(d)), fmt.Sprintf("Doc %d", i)), "deal %d doc %d", d, i)
			}
		}
	}
	out := r.outcomes(states)
	assert.Equal(t, outAlreadyLinked, out[3])
	delete(out, 3)
	for line, o := range out {
		assert.Equal(t, outDone, o, line)
	}
	assert.Zero(t, e.items.held()+e.content.held(), "no lock left behind")

	// Again: nothing to do.
	_, states = r.run(nil)
	assert.Equal(t, 79, r.files.posts)
	for line, o := range r.outcomes(states) {
		assert.Equal(t, outDoneEarlier, o, line)
	}
}

// A create whose answer is lost is found on the item at once; a link's is left to
// EnsureLinked, and an outcome it cannot settle stays unknown.
func TestEngineLostAnswers(t *testing.T) {
	t.Parallel()
	r := newEngineRun(t, "create,deal,1,gdoc,Lost,\ncreate,deal,2,gdoc,Never made,\nlink,deal,3,,,abc\n")
	r.files.fault = func(post int, item pipedrive.Item) (bool, error) {
		unknown := &pipedrive.APIError{Operation: "POST", StatusCode: http.StatusBadGateway}
		return item.ID == 1, unknown // deal 1's create is carried out, the others not; all answers lost
	}
	var finished []string
	e, states := r.run(func(e *engine) {
		e.workers = 1
		e.onFinish = func(st rowState) { finished = append(finished, st.state) }
	})
	out := r.outcomes(states)
	assert.Equal(t, map[int]string{2: outDone, 3: outUnknown, 4: outUnknown}, out)
	assert.Equal(t, []string{stateDone, stateUnknown, stateUnknown}, finished, "each row counted once, with its final state")
	assert.Equal(t, 1, r.files.count(pipedrive.Deal(1), "Lost"))
	assert.Equal(t, 3, r.files.posts, "no row sent twice in one run")
	assert.Contains(t, stateOf(t, r, states, 3).msg, "the file is not on the item yet: run again")
	assert.Empty(t, e.stopReason())

	// The next run looks again: deal 2's file is still not there, so it is sent now.
	r.files.fault = nil
	_, states = r.run(nil)
	assert.Equal(t, map[int]string{2: outDoneEarlier, 3: outDone, 4: outDone}, r.outcomes(states))
	assert.Equal(t, 1, r.files.count(pipedrive.Deal(1), "Lost"))
	assert.Equal(t, 1, r.files.count(pipedrive.Deal(2), "Never made"))
	assert.Len(t, r.files.files, 3)
}

func stateOf(t *testing.T, r *engineRun, states map[rowID]rowState, line int) rowState {
	t.Helper()
	rr, _, err := r.open()
	require.NoError(t, err)
	for {
		row, id, err := rr.next()
		require.NoError(t, err)
		if row.line == line {
			return states[id]
		}
	}
}

// Rows an earlier run left sending are looked for first. Two identical rows whose files
// were both made find one each; when only one was made, the other is sent.
func TestEngineResumesRowsLeftSending(t *testing.T) {
	t.Parallel()
	for _, made := range []int{0, 1, 2} {
		r := newEngineRun(t, "create,deal,1,gdoc,Twin,\ncreate,deal,1,gdoc,Twin,\n")
		r.files.fault = func(post int, _ pipedrive.Item) (bool, error) {
			return post <= made, context.Canceled
		}
		soft, cancel := context.WithCancel(context.Background())
		hard, abandon := context.WithCancel(context.Background())
		abandon() // the second Ctrl-C came before any answer
		cancel()
		_, states := r.runInterrupted(soft, hard, nil)
		out := r.outcomes(states)
		// The engine was stopped before it started: nothing sent.
		assert.Equal(t, map[int]string{2: outNotStarted, 3: outNotStarted}, out)

		// A run that is abandoned in flight: rows stay sending.
		r.files.posts = 0
		soft, hard = context.Background(), context.Background()
		hardCtx, abandonNow := context.WithCancel(hard)
		r.files.fault = func(post int, _ pipedrive.Item) (bool, error) {
			abandonNow()
			return post <= made, context.Canceled
		}
		_, states = r.runInterrupted(soft, hardCtx, func(e *engine) { e.workers = 2 })
		assert.Equal(t, map[int]string{2: outUnknown, 3: outUnknown}, r.outcomes(states), "made %d", made)
		assert.Equal(t, stateSending, stateOf(t, r, states, 2).state)

		r.files.fault = nil
		r.settled = nil
		_, states = r.run(nil)
		assert.Equal(t, map[int]string{2: outDone, 3: outDone}, r.outcomes(states), "made %d", made)
		require.Len(t, r.settled, 1, "one wait for the calls left in flight to settle")
		assert.True(t, r.settled[0] > 0 && r.settled[0] <= pipedrive.SettleTime, r.settled)
		assert.Equal(t, 2, r.files.count(pipedrive.Deal(1), "Twin"), "made %d: exactly one file per row", made)
		a, b := stateOf(t, r, states, 2), stateOf(t, r, states, 3)
		assert.NotEqual(t, a.fileID, b.fileID)
	}
}

// The settle wait counts from when the earlier run ended, not from when its rows were
// about to be sent: a create that took 60 s to time out, or was abandoned after 60 s, was
// on its way all that time, so a rerun a second later waits the rest of SettleTime.
func TestEngineSettleWaitCountsFromTheEarlierRunsEnd(t *testing.T) {
	t.Parallel()
	for _, abandon := range []bool{false, true} {
		r := newEngineRun(t, "create,deal,1,gdoc,Slow,\n")
		hard, abandonNow := context.WithCancel(context.Background())
		r.files.fault = func(int, pipedrive.Item) (bool, error) {
			r.files.now = r.files.now.Add(time.Minute) // post holds the lock
			if abandon {
				abandonNow()
				return false, context.Canceled
			}
			return false, &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: http.StatusGatewayTimeout}
		}
		_, states := r.runInterrupted(context.Background(), hard, func(e *engine) { e.workers = 1 })
		assert.Equal(t, map[int]string{2: outUnknown}, r.outcomes(states), "abandon %v", abandon)

		r.files.fault = nil
		r.files.now = r.files.now.Add(time.Second)
		_, states = r.run(nil)
		assert.Equal(t, []time.Duration{pipedrive.SettleTime - time.Second}, r.settled, "abandon %v", abandon)
		assert.Equal(t, map[int]string{2: outDone}, r.outcomes(states))
		assert.Equal(t, 1, r.files.count(pipedrive.Deal(1), "Slow"))
	}
}

// Pipedrive refusing a row fails it and the run goes on; a refusal every row would meet,
// or a rate limit the client gave up on, stops the run starting rows.
func TestEngineFailuresAndStops(t *testing.T) {
	t.Parallel()
	rows := "create,deal,404,gdoc,x,\ncreate,deal,2,gdoc,x,\ncreate,deal,401,gdoc,x,\ncreate,deal,4,gdoc,x,\ncreate,deal,5,gdoc,x,\n"
	r := newEngineRun(t, rows)
	r.files.fault = func(_ int, item pipedrive.Item) (bool, error) {
		switch item.ID {
		case 404:
			return false, &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: 404, Message: "Deal not found"}
		case 401:
			return false, &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: 401, Message: "unauthorized access"}
		}
		return true, nil
	}
	e, states := r.run(func(e *engine) { e.workers = 1 })
	assert.Equal(t, map[int]string{2: outFailed, 3: outDone, 4: outNotSent, 5: outNotStarted, 6: outNotStarted}, r.outcomes(states))
	assert.Contains(t, e.stopReason(), "Pipedrive answered 401, which further rows would meet too")
	st := stateOf(t, r, states, 2)
	assert.Equal(t, 404, st.status)
	assert.Equal(t, "pipedrive: POST /files/remote: 404 Not Found: Deal not found", st.msg)
	assert.Equal(t, 401, stateOf(t, r, states, 4).status)

	// The next run goes on from there: the 401 row is sent again without --retry-failed.
	r.files.fault = nil
	_, states = r.run(nil)
	assert.Equal(t, map[int]string{2: outFailed, 3: outDoneEarlier, 4: outDone, 5: outDone, 6: outDone}, r.outcomes(states))

	// A server error (here on EnsureLinked's look, for a link) is not the row's fault: not
	// sent, the run stops, and the next run does it. So is a refusal of the account.
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusPaymentRequired, http.StatusForbidden} {
		r = newEngineRun(t, "link,deal,1,,,abc\nlink,deal,2,,,def\n")
		listErr := listError(t, status)
		r.files.fault = func(int, pipedrive.Item) (bool, error) { return false, listErr }
		e, states = r.run(func(e *engine) { e.workers = 1 })
		assert.Equal(t, map[int]string{2: outNotSent, 3: outNotStarted}, r.outcomes(states), status)
		assert.Contains(t, e.stopReason(), fmt.Sprintf("Pipedrive answered %d", status))
		r.files.fault = nil
		_, states = r.run(nil)
		assert.Equal(t, map[int]string{2: outDone, 3: outDone}, r.outcomes(states), status)
	}

	// A rate limit: not sent, and sent by the next run even without --retry-failed.
	r = newEngineRun(t, "create,deal,1,gdoc,x,\ncreate,deal,2,gdoc,x,\n")
	r.files.fault = func(post int, _ pipedrive.Item) (bool, error) {
		return false, &pipedrive.RateLimitError{APIError: &pipedrive.APIError{StatusCode: 429}, RetryAfter: time.Hour}
	}
	e, states = r.run(func(e *engine) { e.workers = 1 })
	assert.Equal(t, map[int]string{2: outNotSent, 3: outNotStarted}, r.outcomes(states))
	assert.Contains(t, e.stopReason(), "rate limited")
	r.files.fault = nil
	_, states = r.run(nil)
	assert.Equal(t, map[int]string{2: outDone, 3: outDone}, r.outcomes(states))

	// Failed rows are kept failed, unless retried.
	r = newEngineRun(t, "create,deal,404,gdoc,x,\n")
	r.files.fault = func(int, pipedrive.Item) (bool, error) {
		return false, &pipedrive.APIError{StatusCode: 404}
	}
	r.run(nil)
	r.files.fault = nil
	_, states = r.run(nil)
	assert.Equal(t, map[int]string{2: outFailed}, r.outcomes(states))
	assert.Equal(t, 1, r.files.posts)
	_, states = r.run(func(e *engine) { e.retryFailed = true })
	assert.Equal(t, map[int]string{2: outDone}, r.outcomes(states))

	// With --retry-failed, a row an earlier run left unknown that fails in the first pass
	// (rows left in flight) is not sent again by the second pass of the same run.
	// One worker, so that the second pass reads the first row's state after it failed.
	r = newEngineRun(t, "create,deal,404,gdoc,x,\ncreate,deal,404,gdoc,y,\n")
	hard, abandon := context.WithCancel(context.Background())
	r.files.fault = func(int, pipedrive.Item) (bool, error) {
		abandon()
		return false, context.Canceled
	}
	_, states = r.runInterrupted(context.Background(), hard, func(e *engine) { e.workers = 2 })
	require.Equal(t, stateSending, stateOf(t, r, states, 2).state)
	require.Equal(t, stateSending, stateOf(t, r, states, 3).state)
	r.files.fault = func(int, pipedrive.Item) (bool, error) {
		return false, &pipedrive.APIError{StatusCode: 404}
	}
	r.files.posts = 0
	_, states = r.run(func(e *engine) { e.retryFailed, e.workers = true, 1 })
	assert.Equal(t, map[int]string{2: outFailed, 3: outFailed}, r.outcomes(states))
	assert.Equal(t, 2, r.files.posts, "each row sent once in this run")
}

// A row left in flight whose item is gone (a 404 on the look) fails: the 404 says
// nothing about the create, so it is not read as "not created" and the row is not sent.
func TestEngineLookOnADeletedItemFailsTheRow(t *testing.T) {
	t.Parallel()
	r := newEngineRun(t, "create,deal,1,gdoc,Gone,\n")
	hard, abandon := context.WithCancel(context.Background())
	r.files.fault = func(int, pipedrive.Item) (bool, error) {
		abandon()
		return false, context.Canceled
	}
	_, states := r.runInterrupted(context.Background(), hard, nil)
	require.Equal(t, stateSending, stateOf(t, r, states, 2).state)

	r.files.fault, r.files.posts = nil, 0
	r.files.findErr = listError(t, http.StatusNotFound)
	e, states := r.run(nil)
	st := stateOf(t, r, states, 2)
	assert.Equal(t, stateFailed, st.state)
	assert.Equal(t, http.StatusNotFound, st.status)
	assert.Zero(t, r.files.posts, "not sent")
	assert.Empty(t, e.stopReason(), "a refusal of the row, not of the run")
}

// listError is the error the library returns for a list GET answered with status: what
// EnsureLinked returns when its look fails (a read: never an unknown outcome).
func listError(t *testing.T, status int) error {
	t.Helper()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	srv.AddDeal(pipedrivetest.Deal{ID: 1})
	srv.FailNext(status, "")
	client := srv.Client(pipedrive.WithRetry(pipedrive.RetryPolicy{}))
	for _, err := range client.Files.List(context.Background(), pipedrive.Deal(1)) {
		require.Error(t, err)
		require.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
		return err
	}
	t.Fatal("no error")
	return nil
}

// The first interrupt stops new rows; the rows in flight finish.
func TestEngineInterruptLetsCallsInFlightFinish(t *testing.T) {
	t.Parallel()
	var rows strings.Builder
	for i := range 20 {
		fmt.Fprintf(&rows, "create,deal,%d,gdoc,x,\n", i+1)
	}
	r := newEngineRun(t, rows.String())
	soft, interrupt := context.WithCancel(context.Background())
	r.files.fault = func(post int, _ pipedrive.Item) (bool, error) {
		if post == 5 {
			interrupt()
		}
		return true, nil
	}
	_, states := r.runInterrupted(soft, context.Background(), func(e *engine) { e.workers = 1 })
	done := 0
	for _, o := range r.outcomes(states) {
		if o == outDone {
			done++
		}
	}
	assert.Equal(t, 5, done, "the row in flight finished, no other started")
	assert.Equal(t, 5, r.files.posts)
}
