package bulk

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// undo runs the undo of fx's plan once, with its own journal, under ctx.
func (fx *fixture) undo(ctx context.Context, configure func(*Options)) (*Runner, error) {
	fx.t.Helper()
	planJournal, err := ReadJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(fx.t, err)
	defer planJournal.Close()
	done, err := New(nil, planJournal, Slice(fx.plan), Options{Clock: fx.clock})
	require.NoError(fx.t, err)
	j, err := OpenJournal(filepath.Join(filepath.Dir(fx.journal), "plan.undo.journal"), Header{Input: "/plans/plan.csv (undo)"})
	require.NoError(fx.t, err)
	defer j.Close()
	opts := Options{Workers: 2, Clock: fx.clock}
	if configure != nil {
		configure(&opts)
	}
	r, err := New(fx.files, j, Undo(done), opts)
	require.NoError(fx.t, err)
	return r, r.Run(ctx)
}

// active is the number of the fake's files still active.
func (fx *fixture) active() int {
	n := 0
	for _, f := range fx.srv.Files() {
		if f.ActiveFlag {
			n++
		}
	}
	return n
}

// An undo deletes every file the plan created or linked, once; a file that was linked
// before the plan ran stays; a second undo sends nothing.
func TestUndoDeletesWhatThePlanDidOnce(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "A"), create(3, 1, "A"), link(4, pipedrive.Deal(2), driveID(1)), link(5, pipedrive.Deal(3), driveID(2)), create(6, 4, "B"))
	earlier, _, err := fx.files.Files.EnsureLinked(t.Context(), *fx.plan[3].Link) // deal 3's link was there before the plan
	require.NoError(t, err)
	fx.files.fault = func(call int, item pipedrive.Item) (bool, error) {
		if item.ID == 4 {
			return false, apiError(http.StatusNotFound, "Deal not found") // failed: nothing to undo
		}
		return true, nil
	}
	fx.mustRun(nil)
	require.Equal(t, 4, fx.active())
	fx.files.setFault(nil)
	calls := fx.files.calls

	r, err := fx.undo(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, 3, fx.files.calls-calls, "one delete per file the plan made")
	assert.Equal(t, 1, fx.active(), "only the file linked before the plan is left")
	for _, f := range fx.srv.Files() {
		assert.Equal(t, f.ID == earlier.ID, f.ActiveFlag, f.ID)
	}
	var lines []int
	for res, err := range r.Results() {
		require.NoError(t, err)
		lines = append(lines, res.Row.Line)
		assert.Equal(t, Done, res.State.Status)
		assert.Equal(t, Deleted, res.State.How)
	}
	assert.Equal(t, []int{2, 3, 4}, lines, "the plan's lines, in order")

	calls = fx.files.calls
	r, err = fx.undo(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, calls, fx.files.calls, "a second undo sends nothing")
	for res, err := range r.Results() {
		require.NoError(t, err)
		assert.True(t, res.State.Earlier)
	}
}

// An undo stopped part way goes on where it stopped; a delete left in flight is sent
// again (DELETE is idempotent) and a file already gone counts as undone.
func TestUndoStoppedAndResumed(t *testing.T) {
	t.Parallel()
	var plan []Row
	for i := range 6 {
		plan = append(plan, create(i+2, int64(i+1), "x"))
	}
	fx := setup(t, plan...)
	fx.mustRun(nil)
	calls := fx.files.calls
	ctx, abandon := context.WithCancel(t.Context())
	fx.files.fault = func(call int, file pipedrive.Item) (bool, error) {
		if call == calls+3 { // the third delete is carried out, its answer lost to an interrupt
			require.NoError(t, fx.files.Files.Delete(context.Background(), file.ID))
			abandon()
			return false, context.Canceled
		}
		return true, nil
	}
	r, err := fx.undo(ctx, func(o *Options) { o.Workers = 1 })
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, 6-fx.active())
	assert.Equal(t, map[Status]int{Done: 2, Sending: 1, NotStarted: 3}, statusCounts(t, r))

	fx.files.setFault(func(int, pipedrive.Item) (bool, error) { return true, nil })
	gone := fx.files.calls
	fx.srv.DeleteFile(fx.srv.Files()[5].ID) // someone deleted the last one meanwhile
	r, err = fx.undo(t.Context(), nil)
	require.NoError(t, err)
	assert.Zero(t, fx.active())
	assert.Equal(t, 4, fx.files.calls-gone, "the one left in flight and the three not started")
	assert.Equal(t, map[Status]int{Done: 6}, statusCounts(t, r))
}

// A file Pipedrive no longer has (404) counts as undone.
func TestUndoOfAFileAlreadyGone(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "x"))
	fx.mustRun(nil)
	fx.files.setFault(func(int, pipedrive.Item) (bool, error) { return false, apiError(http.StatusNotFound, "File not found") })
	r, err := fx.undo(t.Context(), nil)
	require.NoError(t, err)
	for res, err := range r.Results() {
		require.NoError(t, err)
		assert.Equal(t, Done, res.State.Status)
		assert.Equal(t, AlreadyGone, res.State.How)
	}
}

func statusCounts(t *testing.T, r *Runner) map[Status]int {
	t.Helper()
	out := map[Status]int{}
	for res, err := range r.Results() {
		require.NoError(t, err)
		out[res.State.Status]++
	}
	return out
}
