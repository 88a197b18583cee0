package bulk

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Files is what a run uses of a *pipedrive.FilesService (client.Files): an interface so
// that tests can script every outcome. Give every Runner of one token the same client,
// whose pacing keeps all the workers inside the rate limit.
type Files interface {
	CreateRemote(ctx context.Context, r pipedrive.CreateRemoteFileRequest) (*pipedrive.RemoteFile, error)
	EnsureLinked(ctx context.Context, r pipedrive.LinkRemoteFileRequest) (f *pipedrive.RemoteFile, linked bool, err error)
	FindCreated(ctx context.Context, r pipedrive.CreateRemoteFileRequest, since time.Time, opts ...pipedrive.FindOption) (*pipedrive.RemoteFile, error)
	Delete(ctx context.Context, id int64) error
}

// DefaultWorkers is the number of rows in flight at once when Options.Workers is 0.
const DefaultWorkers = 4

// Options configure a Runner. The zero value is usable.
type Options struct {
	// Workers is how many rows are in flight at once (DefaultWorkers when 0). They share
	// the client given to New, which paces them all against one rate limit.
	Workers int
	// RetryFailed sends again the rows an earlier run recorded Failed (a create is
	// looked for on its item first, in case the failure came after it took effect).
	RetryFailed bool
	// Clock times the journal's records and the wait for an earlier run's calls to
	// settle. Give the client's (the one passed to pipedrive.WithClock); nil is the wall
	// clock.
	Clock pipedrive.Clock
	// OnRow, when set, is called once for each row this run finishes, with its final
	// state, from the worker that finished it: it must be safe for concurrent use and
	// quick (a progress bar, say). To stop the run from OnRow, cancel Run's context:
	// Shutdown and Close wait for the run, so call them from another goroutine.
	OnRow func(Result)
	// OnSettle, when set, is told how long Run waits before it starts, when an earlier
	// run stopped moments ago with requests in flight: they may still reach Pipedrive,
	// and a look too early would miss them.
	OnSettle func(wait time.Duration)
}

// Result is a row, its id and its state.
type Result struct {
	Row   Row
	ID    RowID
	State State
}

// ErrRunnerClosed is what Run returns after Shutdown or Close, as http.Server's Serve
// returns http.ErrServerClosed. The journal is complete: a new run goes on.
var ErrRunnerClosed = errors.New("bulk: runner closed")

// StopError is why a run stopped starting rows: an error that every further row would
// meet too. It wraps package pipedrive's error: errors.Is(err, pipedrive.ErrUnauthorized)
// tells a bad token, errors.As with *pipedrive.RateLimitError a rate limit. The row that
// met it is recorded NotSent, so the next run sends it.
type StopError struct {
	Line int   // the row that met it
	Err  error // what it met
}

// Error says where the run stopped and why.
func (e *StopError) Error() string {
	return fmt.Sprintf("bulk: stopped at the row of line %d: %v", e.Line, e.Err)
}

// Unwrap is the error the row met.
func (e *StopError) Unwrap() error { return e.Err }

// Runner runs one plan once. Make it with New; call Run once.
type Runner struct {
	files   Files
	journal Journal
	plan    Source
	opts    Options
	clock   pipedrive.Clock
	index   *index
	last    time.Time // the newest record of an earlier run, zero if none

	mu sync.Mutex
	// Each row's state, by position: a few bytes a row, with the rarer parts in maps.
	cells   []cell
	fileIDs []int64
	since   map[uint32]int64  // Unix nanoseconds: when rows not done were last about to be sent
	http    map[uint32]uint16 // the HTTP status of failures
	msgs    map[uint32]string // error texts
	claims  fileSet           // files that rows own, so that two rows never claim one
	orphans map[RowID]Status  // rows of earlier runs that the plan no longer has
	stopErr error             // why the run stopped starting rows; nil while it goes on
	started bool
	closing bool               // Shutdown or Close was called
	soft    context.CancelFunc // stops starting rows; nil outside Run
	hard    context.CancelFunc // abandons calls in flight; nil outside Run
	done    chan struct{}      // closed when Run returns

	items   keyedLocks[pipedrive.Item] // a look for a lost create excludes sends to the item
	content keyedLocks[[16]byte]       // identical rows run one after the other
}

// cell is the part of a row's state every row has.
type cell struct {
	status  Status
	how     How
	earlier bool
}

// New prepares a run of plan that sends rows through files and records them in j. It
// reads the plan once, to know its rows (about 40 bytes a row stay in memory), and loads
// what j records of earlier runs. It sends nothing. files may be nil for a Runner that is
// only read (Results, State, Undo: a dry run, say); Run refuses to start without it.
func New(files Files, j Journal, plan Source, opts Options) (*Runner, error) {
	if j == nil || plan == nil {
		return nil, errors.New("bulk: New: journal and plan are required")
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("bulk: New: Options.Workers must not be negative, got %d", opts.Workers)
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultWorkers
	}
	x, err := buildIndex(plan)
	if err != nil {
		return nil, err
	}
	r := &Runner{files: files, journal: j, plan: plan, opts: opts, clock: opts.Clock, index: x,
		cells: make([]cell, x.len()), fileIDs: make([]int64, x.len()), since: map[uint32]int64{},
		http: map[uint32]uint16{}, msgs: map[uint32]string{}, orphans: map[RowID]Status{}, done: make(chan struct{})}
	if r.clock == nil {
		r.clock = pipedrive.WallClock()
	}
	if r.last, err = j.Load(r.apply); err != nil {
		return nil, err
	}
	for pos, c := range r.cells {
		if c.status == Done {
			r.claims.add(r.fileIDs[pos])
		}
	}
	return r, nil
}

// apply folds one record of an earlier run into the row's state. A record other than
// Sending keeps the time the row was last about to be sent, until it is done.
func (r *Runner) apply(rec Record) {
	pos, ok := r.index.pos(rec.Row)
	if !ok { // a row the plan no longer has: its file stays claimed
		r.orphans[rec.Row] = rec.Status
		if rec.Status == Done {
			r.claims.add(rec.FileID)
		}
		return
	}
	r.cells[pos] = cell{status: rec.Status, how: rec.How, earlier: true}
	r.fileIDs[pos] = rec.FileID
	r.record(pos, rec.Status, rec.At, rec.HTTP, rec.Err)
}

// record keeps the rarer parts of a row's new state: its send time (at, for Sending),
// failure status and error text.
func (r *Runner) record(pos uint32, status Status, at time.Time, http int, msg string) {
	switch status {
	case Sending:
		r.since[pos] = at.UnixNano()
	case Done:
		delete(r.since, pos)
	}
	if http != 0 {
		r.http[pos] = uint16(http)
	} else {
		delete(r.http, pos)
	}
	if msg != "" {
		r.msgs[pos] = msg
	} else {
		delete(r.msgs, pos)
	}
}

// stateLocked is the row's state.
func (r *Runner) stateLocked(pos uint32) State {
	c := r.cells[pos]
	st := State{Status: c.status, How: c.how, FileID: r.fileIDs[pos], HTTP: int(r.http[pos]), Err: r.msgs[pos], Earlier: c.earlier}
	if ns, ok := r.since[pos]; ok {
		st.Since = time.Unix(0, ns).UTC()
	}
	return st
}

// state is the row's state.
func (r *Runner) state(pos uint32) State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stateLocked(pos)
}

// State is what is known about the row now; the zero State for an id the plan does not
// have.
func (r *Runner) State(id RowID) State {
	pos, ok := r.index.pos(id)
	if !ok {
		return State{}
	}
	return r.state(pos)
}

// Results reads the plan again and yields every row with its id and state: before Run,
// what earlier runs recorded; after, the outcome. It stops at the first error.
func (r *Runner) Results() iter.Seq2[Result, error] {
	return func(yield func(Result, error) bool) {
		for l, err := range r.index.rows(r.plan) {
			res := Result{Row: l.Row, ID: l.ID}
			if err == nil {
				res.State = r.state(l.pos)
			}
			if !yield(res, err) || err != nil {
				return
			}
		}
	}
}

// job is one row for a worker.
type job struct {
	located
	since   time.Time // when an earlier run was about to send it
	pending bool      // an earlier send may have taken effect: look before sending
}

// Run sends every row of the plan that needs it: first the rows an earlier run left in
// flight (after waiting, if that run stopped moments ago, for its requests to settle),
// each looked for on its item before anything is sent; then the rows not done yet, in
// order. A row already Done is skipped, and so is a Failed one unless
// Options.RetryFailed. It reads the plan twice more.
//
// Run returns nil once every row has been tried: look at Results, or OnRow, for each
// row's outcome. It returns a *StopError when an error every further row would meet
// stopped it, ErrRunnerClosed after Shutdown or Close, the context's error when ctx was
// cancelled (which abandons the calls in flight, as Close does), or an error of the
// journal or of the plan, which stop it too. In every case the journal is complete when Run
// returns: a new Runner on it goes on. A Runner runs once.
func (r *Runner) Run(ctx context.Context) error {
	hard, cancelHard := context.WithCancel(ctx)
	defer cancelHard()
	soft, cancelSoft := context.WithCancel(hard)
	defer cancelSoft()
	r.mu.Lock()
	switch {
	case r.files == nil:
		r.mu.Unlock()
		return errors.New("bulk: Run: the Runner was made with no Files to send through")
	case r.started:
		r.mu.Unlock()
		return errors.New("bulk: Run called twice: a Runner runs once; make another with New")
	case r.closing:
		r.mu.Unlock()
		close(r.done)
		return ErrRunnerClosed
	}
	r.started, r.soft, r.hard = true, cancelSoft, cancelHard
	r.mu.Unlock()
	defer close(r.done)

	err := r.run(soft, hard)
	// Every call of this run has returned or been abandoned: a request sent after this
	// moment is not this run's. The next run's settle wait counts from this record.
	if jerr := r.journal.End(r.clock.Now()); err == nil && jerr != nil {
		err = fmt.Errorf("bulk: recording the end of the run: %w", jerr)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		return err
	case r.stopErr != nil:
		return r.stopErr
	case r.closing:
		return ErrRunnerClosed
	case ctx.Err() != nil:
		return fmt.Errorf("bulk: run abandoned: %w", ctx.Err())
	}
	return nil
}

// run hands the rows to the workers and waits for them.
func (r *Runner) run(soft, hard context.Context) error {
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Go(func() {
			for j := range jobs {
				if !r.stopped(soft) {
					r.process(hard, j)
				}
			}
		})
	}
	err := r.settle(soft)
	if err == nil {
		err = r.dispatch(soft, jobs, true)
	}
	if err == nil {
		err = r.dispatch(soft, jobs, false)
	}
	close(jobs)
	wg.Wait()
	return err
}

// Shutdown stops the run gracefully: no row starts after it, and the calls in flight
// finish and are recorded. It returns once Run has returned, or, when ctx ends first,
// abandons the calls in flight as Close does and returns ctx's error. Called before Run,
// it makes Run return ErrRunnerClosed at once.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	started := r.started
	if started {
		r.soft() // under the lock: once closing is seen, no row starts
	}
	r.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		_ = r.Close()
		return ctx.Err()
	}
}

// Close abandons the run: no row starts after it and the calls in flight are cancelled;
// their rows stay Sending, for the next run to look for on their item before sending
// anything. It returns once Run has returned.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closing = true
	started := r.started
	if started {
		r.hard()
	}
	r.mu.Unlock()
	if started {
		<-r.done
	}
	return nil
}

// settle waits, when an earlier run left rows in flight, until pipedrive.SettleTime has
// passed since that run's newest record: a request of a run stopped a moment ago may
// still be on its way to Pipedrive, which a look too early would miss and a send would
// double. Stopping the run meanwhile is no error: no row starts.
func (r *Runner) settle(soft context.Context) error {
	inFlight := false
	for _, c := range r.cells {
		inFlight = inFlight || c.status.pending()
	}
	for _, s := range r.orphans {
		inFlight = inFlight || s.pending()
	}
	wait := r.last.Add(pipedrive.SettleTime).Sub(r.clock.Now())
	if !inFlight || r.last.IsZero() || wait <= 0 {
		return nil
	}
	if r.opts.OnSettle != nil {
		r.opts.OnSettle(wait)
	}
	if err := r.clock.Sleep(soft, wait); err != nil && soft.Err() == nil {
		return fmt.Errorf("bulk: waiting for an earlier run's calls to settle: %w", err)
	}
	return nil
}

// dispatch hands out the pending rows (pending true) or the others that need sending.
func (r *Runner) dispatch(soft context.Context, jobs chan<- job, pending bool) error {
	for l, err := range r.index.rows(r.plan) {
		if err != nil {
			return err
		}
		if r.stopped(soft) {
			return nil
		}
		r.mu.Lock()
		st := r.stateLocked(l.pos)
		r.mu.Unlock()
		isPending := st.Status.pending() || st.Status == Failed && l.Row.Create != nil // a retried create is looked for first
		switch {
		case st.Status != NotStarted && !st.Earlier: // this run has had it already
			continue
		case isPending != pending, !r.sends(st):
			continue
		}
		select {
		case jobs <- job{located: l, since: st.Since, pending: isPending}:
		case <-soft.Done():
			return nil
		}
	}
	return nil
}

// sends reports whether Run sends a row in state st: every row but those done, and those
// failed unless Options.RetryFailed.
func (r *Runner) sends(st State) bool {
	return st.Status != Done && (st.Status != Failed || r.opts.RetryFailed)
}

// Remaining is the number of rows Run would send (or look for) now, of the plan's total:
// those not done, and not failed unless Options.RetryFailed. It reads the plan again.
func (r *Runner) Remaining() (remaining, total int, err error) {
	for res, err := range r.Results() {
		if err != nil {
			return 0, 0, err
		}
		total++
		if r.sends(res.State) {
			remaining++
		}
	}
	return remaining, total, nil
}

// stopped reports whether no more rows may start.
func (r *Runner) stopped(soft context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return soft.Err() != nil || r.stopErr != nil
}

// stop stops the run starting rows, keeping the first reason.
func (r *Runner) stop(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr == nil {
		r.stopErr = err
	}
}
