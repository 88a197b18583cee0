package bulk

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// start is the fake clock's first reading in every test.
var start = time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)

// fixture is one plan run against a fake Pipedrive through a real client, with a journal
// in a temporary directory: what the engine does on every outcome, with package
// pipedrive doing the looking.
type fixture struct {
	t       *testing.T
	srv     *pipedrivetest.Server
	clock   *pipedrivetest.Clock
	files   *scripted
	journal string
	plan    []Row
	open    *FileJournal // the journal of the latest runner, closed before the next opens it
	// settled lists the waits for an earlier run's calls to settle (OnSettle).
	settled []time.Duration
}

// setup starts a fake with deals 1 to 20 and persons 1 to 3, and the Drive files links
// need.
func setup(t *testing.T, plan ...Row) *fixture {
	t.Helper()
	clock := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	for i := range 20 {
		srv.AddDeal(pipedrivetest.Deal{ID: int64(i + 1)})
	}
	for i := range 3 {
		srv.AddPerson(pipedrivetest.Person{ID: int64(i + 1)})
	}
	for _, r := range plan {
		if r.Link != nil {
			srv.AddDriveFile(pipedrivetest.DriveFile{ID: r.Link.RemoteID, Name: "Drive " + r.Link.RemoteID})
		}
	}
	client := srv.Client(pipedrive.WithClock(clock), pipedrive.WithRetry(pipedrive.NoRetry))
	return &fixture{t: t, srv: srv, clock: clock, files: &scripted{Files: client.Files},
		journal: filepath.Join(t.TempDir(), "plan.journal"), plan: plan}
}

// runner opens the journal and makes a Runner on it, with Options adjusted by configure.
func (fx *fixture) runner(configure func(*Options)) *Runner {
	fx.t.Helper()
	if fx.open != nil {
		require.NoError(fx.t, fx.open.Close()) // the earlier run's
	}
	j, err := OpenJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(fx.t, err)
	fx.open = j
	fx.t.Cleanup(func() { j.Close() })
	opts := Options{Workers: 4, Clock: fx.clock, OnSettle: func(d time.Duration) { fx.settled = append(fx.settled, d) }}
	if configure != nil {
		configure(&opts)
	}
	r, err := New(fx.files, j, Slice(fx.plan), opts)
	require.NoError(fx.t, err)
	return r
}

// run runs the plan once with ctx and closes the journal; it returns the runner (for
// State) and Run's error.
func (fx *fixture) run(ctx context.Context, configure func(*Options)) (*Runner, error) {
	fx.t.Helper()
	r := fx.runner(configure)
	err := r.Run(ctx)
	return r, err
}

// mustRun runs the plan to its end with no error.
func (fx *fixture) mustRun(configure func(*Options)) *Runner {
	fx.t.Helper()
	r, err := fx.run(context.Background(), configure)
	require.NoError(fx.t, err)
	return r
}

// statuses maps each row's line to its status.
func (fx *fixture) statuses(r *Runner) map[int]Status {
	fx.t.Helper()
	out := map[int]Status{}
	for res, err := range r.Results() {
		require.NoError(fx.t, err)
		out[res.Row.Line] = res.State.Status
	}
	return out
}

// state is the state of the row on line.
func (fx *fixture) state(r *Runner, line int) State {
	fx.t.Helper()
	for res, err := range r.Results() {
		require.NoError(fx.t, err)
		if res.Row.Line == line {
			return res.State
		}
	}
	fx.t.Fatalf("no row on line %d", line)
	return State{}
}

// posts is the number of create and link requests that reached the fake.
func (fx *fixture) posts() int {
	n := 0
	for _, r := range fx.srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// count is the number of active files on item named name.
func (fx *fixture) count(item pipedrive.Item, name string) int {
	n := 0
	for _, f := range fx.srv.Files() {
		if f.Name == name && f.ActiveFlag && (item.Type == pipedrive.ItemDeal && f.DealID == item.ID || item.Type == pipedrive.ItemPerson && f.PersonID == item.ID) {
			n++
		}
	}
	return n
}

// scripted is a Files whose creates and links a test can make fail: fault decides the
// fate of each (numbered from 1): commit sends it on to the fake, err replaces the
// answer. Finding is always the real library's.
type scripted struct {
	Files
	mu    sync.Mutex
	calls int
	fault func(call int, item pipedrive.Item) (commit bool, err error)
}

// next numbers a call and asks fault.
func (s *scripted) next(item pipedrive.Item) (bool, error) {
	s.mu.Lock()
	s.calls++
	call, fault := s.calls, s.fault
	s.mu.Unlock()
	if fault == nil {
		return true, nil
	}
	return fault(call, item)
}

func (s *scripted) setFault(f func(call int, item pipedrive.Item) (bool, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *scripted) CreateRemote(ctx context.Context, r pipedrive.CreateRemoteFileRequest) (*pipedrive.RemoteFile, error) {
	commit, ferr := s.next(r.Item)
	if !commit {
		return nil, ferr
	}
	f, err := s.Files.CreateRemote(ctx, r)
	if ferr != nil {
		return nil, ferr
	}
	return f, err
}

func (s *scripted) EnsureLinked(ctx context.Context, r pipedrive.LinkRemoteFileRequest) (*pipedrive.RemoteFile, bool, error) {
	commit, ferr := s.next(r.Item)
	if !commit {
		return nil, false, ferr
	}
	f, linked, err := s.Files.EnsureLinked(ctx, r)
	if ferr != nil {
		return nil, false, ferr
	}
	return f, linked, err
}

// Delete numbers a delete and asks fault, as CreateRemote does; fault's item has the
// file's id and no type.
func (s *scripted) Delete(ctx context.Context, id int64) error {
	commit, ferr := s.next(pipedrive.Item{ID: id})
	if !commit {
		return ferr
	}
	err := s.Files.Delete(ctx, id)
	if ferr != nil {
		return ferr
	}
	return err
}

// create and link make plan rows; lines count from 2, after a CSV header.
func create(line int, deal int64, title string) Row {
	return CreateRow(line, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: title, Item: pipedrive.Deal(deal)})
}

func link(line int, item pipedrive.Item, remoteID string) Row {
	return LinkRow(line, pipedrive.LinkRemoteFileRequest{RemoteID: remoteID, Item: item})
}

// driveID is a Drive file id the fake accepts.
func driveID(i int) string { return fmt.Sprintf("1DriveFile%04dxxxxxxxxxxxxxxxx", i) }

// lost is an answer lost after the request was sent: a 502 after a POST.
func lost() error {
	return &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: http.StatusBadGateway}
}

// isClosing reports whether Shutdown or Close was called: new rows no longer start.
func (r *Runner) isClosing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// leaveSending writes the journal a run killed in flight leaves: the rows on lines
// Sending, as of now. made of them get their file on the fake, as if the answer was lost.
func (fx *fixture) leaveSending(made int, lines ...int) {
	fx.t.Helper()
	j, err := OpenJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(fx.t, err)
	defer j.Close()
	_, err = j.Load(func(Record) {})
	require.NoError(fx.t, err)
	x, err := buildIndex(Slice(fx.plan))
	require.NoError(fx.t, err)
	for res, err := range x.rows(Slice(fx.plan)) {
		require.NoError(fx.t, err)
		if !slices.Contains(lines, res.Row.Line) {
			continue
		}
		require.NoError(fx.t, j.Append(Record{Row: res.ID, Line: res.Row.Line, Status: Sending, At: fx.clock.Now()}))
		if made > 0 {
			made--
			_, err := fx.files.Files.CreateRemote(fx.t.Context(), *res.Row.Create)
			require.NoError(fx.t, err)
		}
	}
}

// ids are the plan's row ids, in plan order.
func (fx *fixture) ids() []RowID {
	fx.t.Helper()
	x, err := buildIndex(Slice(fx.plan))
	require.NoError(fx.t, err)
	var ids []RowID
	for l, err := range x.rows(Slice(fx.plan)) {
		require.NoError(fx.t, err)
		ids = append(ids, l.ID)
	}
	return ids
}
