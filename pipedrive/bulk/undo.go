package bulk

import "iter"

// Undo is the plan that undoes what done's journal records as its plan's doing: a
// DeleteRow for each row that created or linked a file (How Created, Linked or Found),
// with the row's Line, in plan order. Rows whose file was on the item before the plan ran
// (AlreadyLinked), and rows not done, are left out: an undo never deletes a file the plan
// did not put there. done is a Runner over the plan and its journal that is not run
// (New with nil Files and a journal from ReadJournal); Undo only reads its Results. Run the undo plan
// with a journal of its own, and it is resumable like any plan: a second run of it sends
// nothing.
func Undo(done *Runner) Source {
	return func() iter.Seq2[Row, error] {
		return func(yield func(Row, error) bool) {
			for res, err := range done.Results() {
				if err != nil {
					yield(Row{}, err)
					return
				}
				st := res.State
				if st.Status != Done || st.FileID < 1 || (st.How != Created && st.How != Linked && st.How != Found) {
					continue
				}
				if !yield(DeleteRow(res.Row.Line, st.FileID), nil) {
					return
				}
			}
		}
	}
}
