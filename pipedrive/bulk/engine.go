package bulk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// process carries one row through and reports its final state to OnRow once: a row may
// pass through several (Unknown, then Done when found).
func (r *Runner) process(ctx context.Context, j job) {
	unlock := r.content.lock(j.ID.content)
	defer unlock()
	if r.opts.OnRow != nil {
		defer func() {
			if st := r.state(j.pos); st.Status != NotStarted && st.Status != Sending && !st.Earlier {
				r.opts.OnRow(Result{Row: j.Row, ID: j.ID, State: st})
			}
		}()
	}
	switch {
	case j.Row.Link != nil:
		r.link(ctx, j)
		return
	case j.Row.Delete != nil:
		r.delete(ctx, j)
		return
	}
	if j.pending {
		switch r.lookForCreated(ctx, j, j.since, true) {
		case lookFound, lookFailed:
			return
		}
	}
	r.create(ctx, j)
}

// set records the row's new state in the journal, then in memory. A journal that cannot
// be written stops the run: going on would send rows whose outcome no run could find.
func (r *Runner) set(j job, st State) bool {
	at := r.clock.Now()
	if st.Status == Sending {
		at = st.Since
	}
	err := r.journal.Append(Record{Row: j.ID, Line: j.Row.Line, Status: st.Status, At: at, How: st.How, FileID: st.FileID, HTTP: st.HTTP, Err: st.Err})
	if err != nil {
		r.stop(fmt.Errorf("bulk: recording line %d: %w", j.Row.Line, err))
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cells[j.pos] = cell{status: st.Status, how: st.How}
	if st.Status == Done {
		r.fileIDs[j.pos] = st.FileID
	}
	r.record(j.pos, st.Status, st.Since, st.HTTP, st.Err)
	return true
}

// note adds to the row's error text in memory, for Results; the journal keeps its own.
func (r *Runner) note(pos uint32, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs[pos] += text
}

// claim marks a file as owned by a row.
func (r *Runner) claim(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.claims.add(id)
}

// claimed reports whether a row owns the file.
func (r *Runner) claimed(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.claims.has(id)
}

// create sends a create row, and looks for the file at once when the answer was lost.
func (r *Runner) create(ctx context.Context, j job) {
	since := r.clock.Now()
	if !r.set(j, State{Status: Sending, Since: since}) {
		return
	}
	unlock := r.items.rlock(j.Row.Create.Item)
	f, err := r.files.CreateRemote(ctx, *j.Row.Create)
	if err == nil {
		r.claim(f.ID) // a new file: nobody else can own it
	}
	unlock()
	switch {
	case err == nil:
		r.set(j, State{Status: Done, How: Created, FileID: f.ID})
	case ctx.Err() != nil:
		// Abandoned: the row stays Sending, for the next run to look for.
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		if !r.set(j, State{Status: Unknown, Since: since, Err: err.Error()}) {
			return
		}
		if r.lookForCreated(ctx, j, since, false) == lookNotCreated {
			// Not sent again in this run: a create that is slow to take effect would be
			// doubled. The next run looks again, and sends it only if still not there.
			r.note(j.pos, "; the file is not on the item yet: a later run looks again, and sends it only if it is still not there")
		}
	default:
		r.fail(j, err)
	}
}

// lookResult is what looking for a created file found out.
type lookResult int

const (
	lookFound      lookResult = iota // the file is there: the row is done
	lookNotCreated                   // the create did not take effect: it may be sent
	lookFailed                       // the look failed: the row stays Unknown, or failed for good
)

// lookForCreated looks on the item for the file an earlier create of the row made,
// skipping the files other rows own, while no other row sends to the item: a file
// another row has just created is then already claimed by it. settled says the run has
// already waited pipedrive.SettleTime since the create was sent (settle, for the rows of
// an earlier run), so the item is listed at once.
func (r *Runner) lookForCreated(ctx context.Context, j job, since time.Time, settled bool) lookResult {
	opts := []pipedrive.FindOption{pipedrive.SkipFiles(r.claimed)}
	if settled {
		opts = append(opts, pipedrive.AlreadySettled())
	}
	unlock := r.items.lock(j.Row.Create.Item)
	f, err := r.files.FindCreated(ctx, *j.Row.Create, since, opts...)
	if err == nil {
		r.claim(f.ID)
	}
	unlock()
	var api *pipedrive.APIError
	switch {
	case err == nil:
		r.set(j, State{Status: Done, How: Found, FileID: f.ID})
		return lookFound
	case errors.Is(err, pipedrive.ErrNotCreated):
		return lookNotCreated
	case ctx.Err() != nil:
		return lookFailed // abandoned: the row keeps its state
	case errors.As(err, &api) && api.StatusCode == http.StatusNotFound:
		// The item is gone: the row fails with the 404 and is never sent again.
		r.set(j, State{Status: Failed, HTTP: api.StatusCode, Since: since, Err: "looking for the file on the item: " + err.Error()})
		return lookFailed
	}
	r.set(j, State{Status: Unknown, Since: since, Err: "looking for the file on the item: " + err.Error()})
	if stopsRun(err) {
		r.stop(&StopError{Line: j.Row.Line, Err: err})
	}
	return lookFailed
}

// link sends a link row through EnsureLinked, which looks before it links.
func (r *Runner) link(ctx context.Context, j job) {
	if !r.set(j, State{Status: Sending, Since: r.clock.Now()}) {
		return
	}
	unlock := r.items.rlock(j.Row.Link.Item)
	f, linked, err := r.files.EnsureLinked(ctx, *j.Row.Link)
	if err == nil {
		r.claim(f.ID)
	}
	unlock()
	switch {
	case err == nil:
		how := AlreadyLinked
		switch {
		case linked:
			how = Linked
		case j.pending:
			how = Found // most likely the earlier run's link, whose answer was lost
		}
		r.set(j, State{Status: Done, How: how, FileID: f.ID})
	case ctx.Err() != nil:
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		r.set(j, State{Status: Unknown, Since: r.clock.Now(), Err: err.Error()})
	default:
		r.fail(j, err)
	}
}

// fail records a row that was not carried out. Pipedrive refusing this row is final
// (Failed: a validation error, or a 4xx about the row, such as 400 or 404). Anything else
// leaves the row to send again (NotSent) and stops the run starting rows, since further
// rows would meet it too.
func (r *Runner) fail(j job, err error) {
	var api *pipedrive.APIError
	status := 0
	if errors.As(err, &api) {
		status = api.StatusCode
	}
	if !stopsRun(err) {
		r.set(j, State{Status: Failed, HTTP: status, Err: err.Error()})
		return
	}
	r.set(j, State{Status: NotSent, HTTP: status, Err: err.Error()})
	r.stop(&StopError{Line: j.Row.Line, Err: err})
}

// stopsRun reports whether every further row would meet err too: anything but a
// validation error or a 4xx about the row itself. Refusals of the account (401, 402,
// 403) and of the moment (408, 429), 5xx, and failures to connect stop a run.
func stopsRun(err error) bool {
	var api *pipedrive.APIError
	switch {
	case errors.Is(err, pipedrive.ErrInvalidRequest):
		return false
	case errors.As(err, &api):
		switch api.StatusCode {
		case http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusForbidden,
			http.StatusRequestTimeout, http.StatusTooManyRequests:
			return true
		}
		return api.StatusCode < 400 || api.StatusCode >= 500
	}
	return true
}

// delete sends a Delete row. DELETE is idempotent, so a row whose outcome is unknown, or
// that an earlier run left in flight, is simply sent again; a file already gone (404, or
// deleted by an identical row of this plan) counts as deleted.
func (r *Runner) delete(ctx context.Context, j job) {
	id := j.Row.Delete.FileID
	if r.deletedByAnother(j) {
		r.set(j, State{Status: Done, How: AlreadyGone, FileID: id})
		return
	}
	if !r.set(j, State{Status: Sending, Since: r.clock.Now()}) {
		return
	}
	err := r.files.Delete(ctx, id)
	switch {
	case err == nil:
		r.set(j, State{Status: Done, How: Deleted, FileID: id})
	case ctx.Err() != nil:
	case errors.Is(err, pipedrive.ErrNotFound):
		r.set(j, State{Status: Done, How: AlreadyGone, FileID: id})
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		r.set(j, State{Status: Unknown, Since: r.clock.Now(), Err: err.Error()})
	default:
		r.fail(j, err)
	}
}

// deletedByAnother reports whether another row of the plan asking for the same
// deletion (an identical row) is done: the file is gone, and sending again would only
// cost a request.
func (r *Runner) deletedByAnother(j job) bool {
	x := r.index
	i, _ := slices.BinarySearchFunc(x.byID, j.ID.content, func(k keyPos, c [16]byte) int {
		return bytes.Compare(k.content[:], c[:])
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; i < len(x.byID) && x.byID[i].content == j.ID.content; i++ {
		if p := x.byID[i].pos; p != j.pos && r.cells[p].status == Done {
			return true
		}
	}
	return false
}
