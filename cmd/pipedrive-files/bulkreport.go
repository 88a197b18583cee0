package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
)

// A row's outcome, as the report and the summary give it.
const (
	outDone          = "done"           // created or linked by this run (or found after a lost answer)
	outAlreadyLinked = "already_linked" // the file was linked to the item before
	outAlreadyGone   = "already_gone"   // undo: the file was deleted already
	outDoneEarlier   = "done_earlier"   // done by an earlier run: skipped
	outFailed        = "failed"         // refused by Pipedrive (now or in an earlier run)
	outUnknown       = "unknown"        // may or may not have taken effect: run again to find out
	outNotSent       = "not_sent"       // not carried out (rate limit, no connection): run again
	outNotStarted    = "not_started"    // the run stopped before it
)

// outcomeOf is the outcome a row's state stands for.
func outcomeOf(st bulk.State) string {
	switch st.Status {
	case bulk.Done:
		switch {
		case st.Earlier:
			return outDoneEarlier
		case st.How == bulk.AlreadyLinked:
			return outAlreadyLinked
		case st.How == bulk.AlreadyGone:
			return outAlreadyGone
		}
		return outDone
	case bulk.Failed:
		return outFailed
	case bulk.Sending, bulk.Unknown:
		return outUnknown
	case bulk.NotSent:
		return outNotSent
	}
	return outNotStarted
}

// summary is what a run did, printed at the end (as JSON with --json).
type summary struct {
	Input          string  `json:"input"`
	Journal        string  `json:"journal"`
	Undo           bool    `json:"undo,omitempty"` // an undo: its rows are the files to delete
	Rows           int     `json:"rows"`
	Done           int     `json:"done"`
	AlreadyLinked  int     `json:"already_linked"`
	AlreadyGone    int     `json:"already_gone,omitempty"` // undo: deleted already, counted as undone
	Skipped        int     `json:"skipped"`                // done by earlier runs
	Failed         int     `json:"failed"`
	FailedEarlier  int     `json:"failed_earlier"` // of Failed, refused in an earlier run and not retried
	Unknown        int     `json:"unknown"`
	NotSent        int     `json:"not_sent"`
	NotStarted     int     `json:"not_started"`
	Interrupted    bool    `json:"interrupted"`
	Stopped        string  `json:"stopped,omitempty"` // why the run stopped starting rows
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Requests       int64   `json:"requests"`
	RateLimited    int64   `json:"rate_limited"` // requests answered 429
	ExitCode       int     `json:"exit_code"`
}

// count adds one row's final state.
func (s *summary) count(st bulk.State) {
	s.Rows++
	switch outcomeOf(st) {
	case outDone:
		s.Done++
	case outAlreadyLinked:
		s.AlreadyLinked++
	case outAlreadyGone:
		s.AlreadyGone++
	case outDoneEarlier:
		s.Skipped++
	case outFailed:
		s.Failed++
		if st.Earlier {
			s.FailedEarlier++
		}
	case outUnknown:
		s.Unknown++
	case outNotSent:
		s.NotSent++
	default:
		s.NotStarted++
	}
}

// exitCode is 130 when interrupted, else 3 when any row is unknown, 1 when any did not
// get done, 0 when every row is done or already linked.
func (s *summary) exitCode() int {
	switch {
	case s.Interrupted:
		return exitInterrupted
	case s.Unknown > 0:
		return exitUnknown
	case s.Failed+s.NotSent+s.NotStarted > 0:
		return exitAPI
	}
	return exitOK
}

// print writes the summary for people, or as JSON.
func (s *summary) print(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, s)
	}
	var b strings.Builder
	if s.Undo {
		fmt.Fprintf(&b, "%s: undo of %s: deleted %d, already gone %d, skipped (undone earlier) %d, failed %d, unknown %d",
			s.Input, count(s.Rows, "file"), s.Done, s.AlreadyGone, s.Skipped, s.Failed, s.Unknown)
	} else {
		fmt.Fprintf(&b, "%s: %s: done %d, already linked %d, skipped (done earlier) %d, failed %d, unknown %d",
			s.Input, count(s.Rows, "row"), s.Done, s.AlreadyLinked, s.Skipped, s.Failed, s.Unknown)
	}
	if s.NotSent > 0 {
		fmt.Fprintf(&b, ", not sent %d", s.NotSent)
	}
	if s.NotStarted > 0 {
		fmt.Fprintf(&b, ", not started %d", s.NotStarted)
	}
	fmt.Fprintf(&b, ".\n%s, %s, %d answered 429. Journal: %s\n",
		(time.Duration(s.ElapsedSeconds * float64(time.Second))).Round(time.Millisecond), count(int(s.Requests), "request"), s.RateLimited, s.Journal)
	switch {
	case s.Interrupted:
		b.WriteString("Interrupted: run the same command again to go on; rows left in flight are looked for on their item first.\n")
	case s.Stopped != "":
		b.WriteString("Stopped: " + s.Stopped + "\n")
	}
	if s.Unknown > 0 {
		b.WriteString("Unknown rows may or may not have taken effect: run the same command again to look for them on their item and send those that are not there.\n")
	}
	if s.FailedEarlier > 0 {
		fmt.Fprintf(&b, "%s failed in an earlier run and not retried: add --retry-failed to retry.\n", count(s.FailedEarlier, "row"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reportWriter writes the --report CSV: every input row with its outcome.
type reportWriter struct {
	f      *os.File
	w      *csv.Writer
	closed bool
}

// newReport creates the report file at path, readable by its owner only (0600) like the
// journal, since its titles and error texts may be private, and starts it with the header
// row. An existing file is truncated and keeps its mode.
func newReport(path string) (*reportWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	r := &reportWriter{f: f, w: csv.NewWriter(f)}
	names := columnNames()
	// No url column: a url is written resolved, as remote_id.
	r.write(append([]string{"line"}, append(names[:idxURL], "outcome", "file_id", "error")...))
	return r, nil
}

// write writes one record, every cell neutralized (see neutralize).
func (r *reportWriter) write(cells []string) {
	for i, c := range cells {
		cells[i] = neutralize(c)
	}
	_ = r.w.Write(cells) // an error sticks in r.w, for close
}

// neutralize keeps a spreadsheet from running a cell as a formula, as OWASP advises for
// CSV exports ("CSV Injection"): a cell starting with =, +, -, @, a tab or a carriage
// return gets a leading single quote, which spreadsheets show as text. Titles and error
// texts come from the input and from the server; the titles sent to Pipedrive are left
// as they are.
func neutralize(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// row writes one input row: line, its fields (the url resolved to remote_id) and outcome.
func (r *reportWriter) row(res bulk.Result) {
	row, st := res.Row, res.State
	it := row.Item()
	var itemID, fileType, title, remoteID, fileID, msg string
	if it.ID != 0 {
		itemID = strconv.FormatInt(it.ID, 10)
	}
	switch {
	case row.Create != nil:
		fileType, title = string(row.Create.FileType), row.Create.Title
	case row.Link != nil:
		remoteID = row.Link.RemoteID
	}
	if st.Status == bulk.Done {
		fileID = strconv.FormatInt(st.FileID, 10)
	} else {
		msg = st.Err
	}
	r.write([]string{strconv.Itoa(row.Line), actionOf(row), string(it.Type), itemID,
		fileType, title, remoteID, outcomeOf(st), fileID, msg})
}

// close flushes and closes the file, reporting the first error; closing again does
// nothing.
func (r *reportWriter) close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.w.Flush()
	err := r.w.Error()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// requestCounter counts, for the summary, the requests the client sends (every attempt
// that got an answer, retries included) and those answered 429. Its observe is the
// client's attempt hook (pipedrive.WithAttemptHook).
type requestCounter struct {
	requests, limited atomic.Int64
}

// observe counts an attempt with an HTTP status as one request, and a 429 as rate
// limited; an attempt that got no answer (status 0) is not counted. Safe for concurrent
// use, as the hook must be.
func (c *requestCounter) observe(_ context.Context, a pipedrive.Attempt) {
	if a.StatusCode <= 0 {
		return
	}
	c.requests.Add(1)
	if a.StatusCode == http.StatusTooManyRequests {
		c.limited.Add(1)
	}
}
