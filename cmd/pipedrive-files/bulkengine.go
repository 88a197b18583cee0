package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"sync"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// filesAPI is what bulk uses of client.Files (*pipedrive.FilesService); an interface so
// that the engine's tests can script every outcome.
type filesAPI interface {
	CreateRemote(ctx context.Context, r pipedrive.CreateRemoteFileRequest) (*pipedrive.RemoteFile, error)
	EnsureLinked(ctx context.Context, r pipedrive.LinkRemoteFileRequest) (*pipedrive.RemoteFile, bool, error)
	FindCreated(ctx context.Context, r pipedrive.CreateRemoteFileRequest, since time.Time, opts ...pipedrive.FindOption) (*pipedrive.RemoteFile, error)
	List(ctx context.Context, item pipedrive.Item) iter.Seq2[*pipedrive.RemoteFile, error]
}

// job is one row for a worker. pending rows were left sending or unknown by an earlier
// run: they are looked for on the item before anything is sent.
type job struct {
	row     bulkRow
	id      rowID
	pending bool
	since   time.Time // when the earlier run was about to send it
}

// engine sends the rows of a bulk run through a pool of workers that share one client,
// recording every state change in the journal before going on.
type engine struct {
	files       filesAPI
	journal     *journal
	clock       pipedrive.Clock // the client's, so that tests share one fake clock with the fake server
	workers     int
	retryFailed bool
	onFinish    func(rowState)      // called once per row this run finishes, with its final state, for the progress line
	onSettle    func(time.Duration) // told how long the run waits before looking, if it does

	mu     sync.Mutex
	states map[rowID]rowState
	claims map[int64]bool // file ids that rows own, so that two rows never claim one file
	stop   string         // why the run stopped starting rows; "" while it goes on

	items   keyedLocks[pipedrive.Item] // creates' look-ups exclude sends on the same item
	content keyedLocks[[16]byte]       // identical rows run one after the other
}

// newEngine prepares a run over the states an earlier run's journal left. clock is the
// client's: the settle wait goes through it, and the journal's times come from it.
func newEngine(files filesAPI, j *journal, states map[rowID]rowState, clock pipedrive.Clock, workers int, retryFailed bool) *engine {
	e := &engine{files: files, journal: j, clock: clock, workers: workers, retryFailed: retryFailed,
		onFinish: func(rowState) {}, onSettle: func(time.Duration) {}, states: states, claims: map[int64]bool{}}
	for _, st := range states {
		if st.state == stateDone {
			e.claims[st.fileID] = true
		}
	}
	return e
}

// run sends the rows that need it: first those an earlier run left sending or unknown,
// then the others, in input order. Cancelling soft stops it starting rows (calls in
// flight finish); cancelling hard abandons calls in flight, leaving their rows sending
// for the next run to look for. open reads the input from its start.
func (e *engine) run(soft, hard context.Context, open func() (*rowReader, func(), error)) error {
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range e.workers {
		wg.Go(func() {
			for j := range jobs {
				if !e.stopped(soft) {
					e.process(hard, j)
				}
			}
		})
	}
	err := e.settle(soft)
	if err == nil {
		err = e.dispatch(soft, jobs, open, true)
	}
	if err == nil {
		err = e.dispatch(soft, jobs, open, false)
	}
	close(jobs)
	wg.Wait()
	// Every call of this run has returned or been abandoned: a request sent after this
	// moment is not this run's. The next run's settle wait counts from this record.
	if serr := e.journal.stopped(); err == nil {
		err = serr
	}
	return err
}

// settle waits, when an earlier run left rows in flight, until pipedrive.SettleTime has
// passed since that run ended: a run stopped a moment ago may have requests still on
// their way to Pipedrive, which a look too early would miss and a send would double. The
// end is the journal's newest record: the stopped record a run writes as it ends, or,
// after a kill, the last record it wrote before (a request may have been sent later; the
// README says so). Not the rows' sending records: a call may wait for the rate limit, or
// take a minute to time out, after one. Interrupting the wait (soft) is no error: no row
// starts.
func (e *engine) settle(soft context.Context) error {
	inFlight := false
	for _, st := range e.states {
		inFlight = inFlight || st.state == stateSending || st.state == stateUnknown
	}
	latest := e.journal.last
	wait := latest.Add(pipedrive.SettleTime).Sub(e.clock.Now())
	if !inFlight || latest.IsZero() || wait <= 0 {
		return nil
	}
	e.onSettle(wait)
	if err := e.clock.Sleep(soft, wait); err != nil && soft.Err() == nil {
		return err
	}
	return nil
}

// dispatch hands out the pending rows (pending true) or the rows never finished.
func (e *engine) dispatch(soft context.Context, jobs chan<- job, open func() (*rowReader, func(), error), pending bool) error {
	return readRows(open, func(row bulkRow, id rowID) bool {
		if e.stopped(soft) {
			return false
		}
		st := e.state(id)
		isPending := st.state == stateSending || st.state == stateUnknown
		switch {
		case st.state != "" && !st.earlier: // this run has had it already (the first pass)
			return true
		case isPending != pending, st.state == stateDone, st.state == stateFailed && !e.retryFailed:
			return true
		}
		select {
		case jobs <- job{row: row, id: id, pending: isPending, since: st.since}:
		case <-soft.Done():
		}
		return true
	})
}

// stopped reports whether no more rows may start: interrupted, or stopped by an error
// that every further row would meet.
func (e *engine) stopped(soft context.Context) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return soft.Err() != nil || e.stop != ""
}

// stopRun stops the run starting rows, keeping the first reason.
func (e *engine) stopRun(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stop == "" {
		e.stop = reason
	}
}

// stopReason is why the run stopped starting rows, or "".
func (e *engine) stopReason() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stop
}

// state is what is known about the row now.
func (e *engine) state(id rowID) rowState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.states[id]
}

// set records the row's new state in the journal, then in memory. A journal that cannot
// be written stops the run: going on would send rows whose outcome no run could find.
func (e *engine) set(j job, st rowState) bool {
	if err := e.journal.record(j.id, j.row.line, st); err != nil {
		e.stopRun(err.Error())
		return false
	}
	e.mu.Lock()
	e.states[j.id] = st
	e.mu.Unlock()
	return true
}

// claim marks a file as owned by a row; false if another row owns it already.
func (e *engine) claim(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.claims[id] {
		return false
	}
	e.claims[id] = true
	return true
}

// process carries one row through, and tells onFinish its final state once: a row may
// pass through several (unknown, then done when found).
func (e *engine) process(ctx context.Context, j job) {
	unlock := e.content.lock(j.id.content)
	defer unlock()
	defer func() {
		if st := e.state(j.id); st.state != "" && st.state != stateSending && !st.earlier {
			e.onFinish(st)
		}
	}()
	if j.row.action == actionLink {
		e.link(ctx, j)
		return
	}
	if j.pending {
		switch e.lookForCreated(ctx, j, j.since, true) {
		case lookFound, lookFailed:
			return
		}
	}
	e.create(ctx, j)
}

// create sends a create row, and looks for the file at once when the answer was lost.
func (e *engine) create(ctx context.Context, j job) {
	since := e.clock.Now()
	if !e.set(j, rowState{state: stateSending, since: since}) {
		return
	}
	unlock := e.items.rlock(j.row.create.Item)
	f, err := e.files.CreateRemote(ctx, j.row.create)
	if err == nil {
		e.claim(f.ID) // a new file: nobody else can own it
	}
	unlock()
	switch {
	case err == nil:
		e.set(j, rowState{state: stateDone, how: howCreated, fileID: f.ID})
	case ctx.Err() != nil:
		// Abandoned: the row stays sending, for the next run to look for.
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		if !e.set(j, rowState{state: stateUnknown, since: since, msg: err.Error()}) {
			return
		}
		if e.lookForCreated(ctx, j, since, false) == lookNotFound {
			// Not sent again in this run: a create that is slow to take effect would be
			// doubled. The next run looks again, and sends it only if still not there.
			e.mu.Lock()
			st := e.states[j.id]
			st.msg += "; the file is not on the item yet: run again to look again, and to send it if it is still not there"
			e.states[j.id] = st
			e.mu.Unlock()
		}
	default:
		e.fail(j, err)
	}
}

// lookResult is what looking for a created file found out.
type lookResult int

const (
	lookFound    lookResult = iota // the file is there: the row is done
	lookNotFound                   // the create did not take effect: it may be sent
	lookFailed                     // the look-up failed: the row stays unknown
)

// lookForCreated looks on the item for the file an earlier create of the row made,
// while no other row sends to the item, so that a file just created by another row is
// already claimed by it. settled says the run has already waited pipedrive.SettleTime
// since the create was sent (settle, for rows of an earlier run): then the item is listed
// at once, rather than through FindCreated, which waits SettleTime first.
func (e *engine) lookForCreated(ctx context.Context, j job, since time.Time, settled bool) lookResult {
	unlock := e.items.lock(j.row.create.Item)
	var f *pipedrive.RemoteFile
	var err error
	if !settled {
		f, err = e.files.FindCreated(ctx, j.row.create, since)
	}
	if settled || err == nil && !e.claim(f.ID) {
		f, err = e.findUnclaimed(ctx, j.row.create, since) // (or another identical row owns the newest one)
	}
	unlock()
	switch {
	case err == nil:
		e.set(j, rowState{state: stateDone, how: howFound, fileID: f.ID})
		return lookFound
	case errors.Is(err, pipedrive.ErrNotCreated):
		return lookNotFound
	case errors.Is(err, pipedrive.ErrNotFound): // the item is gone: sending would be refused too
		e.fail(j, err)
		return lookFailed
	case ctx.Err() != nil:
		return lookFailed // abandoned: the row keeps its state
	}
	e.set(j, rowState{state: stateUnknown, since: since, msg: "looking for the file on the item: " + err.Error()})
	return lookFailed
}

// findUnclaimed is FindCreated over the files no row owns, listed at once: the newest
// match, claimed. FindCreated alone returns the newest match, which identical rows would
// all get.
func (e *engine) findUnclaimed(ctx context.Context, r pipedrive.CreateRemoteFileRequest, since time.Time) (*pipedrive.RemoteFile, error) {
	f, err := e.files.FindCreated(ctx, r, since, pipedrive.SkipFiles(e.owned), pipedrive.AlreadySettled())
	if err != nil {
		return nil, err
	}
	if !e.claim(f.ID) {
		return nil, fmt.Errorf("file %d on %s %d was claimed by another row meanwhile: %w", f.ID, r.Item.Type, r.Item.ID, pipedrive.ErrNotCreated)
	}
	return f, nil
}

// owned reports whether a row has claimed the file.
func (e *engine) owned(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.claims[id]
}

// link sends a link row through EnsureLinked, which looks before it links.
func (e *engine) link(ctx context.Context, j job) {
	if !e.set(j, rowState{state: stateSending, since: e.clock.Now()}) {
		return
	}
	unlock := e.items.rlock(j.row.link.Item)
	f, linked, err := e.files.EnsureLinked(ctx, j.row.link)
	if err == nil {
		e.claim(f.ID)
	}
	unlock()
	switch {
	case err == nil:
		how := howAlreadyLinked
		switch {
		case linked:
			how = howLinked
		case j.pending:
			how = howFound // most likely the earlier run's link, whose answer was lost
		}
		e.set(j, rowState{state: stateDone, how: how, fileID: f.ID})
	case ctx.Err() != nil:
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		e.set(j, rowState{state: stateUnknown, since: e.clock.Now(), msg: err.Error()})
	default:
		e.fail(j, err)
	}
}

// fail records a row that was not carried out. Pipedrive refusing this row is final
// (failed: a validation error, or a 4xx about the row, such as 400 or 404). Anything else
// leaves the row to send again (not_sent) and stops the run starting rows, since further
// rows would meet it too: a 429 the client gave up waiting for, a refusal of the account
// (401, 402, 403), a server error (5xx, say on EnsureLinked's look), no connection.
func (e *engine) fail(j job, err error) {
	var (
		rl  *pipedrive.RateLimitError
		api *pipedrive.APIError
		ve  *pipedrive.ValidationError
	)
	switch {
	case errors.As(err, &rl):
		e.set(j, rowState{state: stateNotSent, status: rl.StatusCode, msg: err.Error()})
		if rl.Daily {
			e.stopRun(fmt.Sprintf("the daily rate-limit budget is spent: run the same command again once it resets (in %s): %v", rl.RetryAfter.Round(time.Second), err))
			return
		}
		e.stopRun("rate limited beyond the client's patience: " + err.Error())
	case errors.As(err, &api) && refusesRow(api.StatusCode):
		e.set(j, rowState{state: stateFailed, status: api.StatusCode, msg: err.Error()})
	case errors.As(err, &api):
		e.set(j, rowState{state: stateNotSent, status: api.StatusCode, msg: err.Error()})
		e.stopRun(fmt.Sprintf("Pipedrive answered %d, which further rows would meet too: run the same command again to go on: %v", api.StatusCode, err))
	case errors.As(err, &ve):
		e.set(j, rowState{state: stateFailed, msg: err.Error()})
	default:
		e.set(j, rowState{state: stateNotSent, msg: err.Error()})
		e.stopRun(err.Error())
	}
}

// refusesRow reports whether an answer of this status refuses the row itself, for good:
// a 4xx other than those about the account (401, 402, 403) or the moment (408, 429).
func refusesRow(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusForbidden,
		http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}
