package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The states a row goes through, as the journal records them. A row with no record has
// not been started.
const (
	stateSending = "sending"  // about to be sent: its outcome is not known yet
	stateDone    = "done"     // the file is on the item (FileID)
	stateFailed  = "failed"   // Pipedrive refused the row itself, for good (400, 404, ...)
	stateUnknown = "unknown"  // sent, but whether it took effect could not be found out
	stateNotSent = "not_sent" // not carried out and safe to send again (a 429, 401/402/403, a 5xx, no connection)
)

// stateStopped marks where a run ended (normally or interrupted), in a record of no row:
// its time bounds when the run's last request could have been sent, which the next run's
// settle wait counts from.
const stateStopped = "stopped"

// How a done row got done.
const (
	howCreated       = "created"
	howLinked        = "linked"
	howAlreadyLinked = "already_linked" // the file was on the item before this row ran
	howFound         = "found"          // an earlier send whose answer was lost did take effect
)

// journalName marks the first line of a journal.
const journalName = "pipedrive-files bulk"

// journalHeader is a journal's first line: which input the journal belongs to.
type journalHeader struct {
	Journal string    `json:"journal"`
	Version int       `json:"version"`
	Input   string    `json:"input"`             // the input file's absolute path, "-" for stdin
	Columns []string  `json:"columns,omitempty"` // the input's header row
	Created time.Time `json:"created"`
}

// inputID is how a journal knows its input: the file's absolute path ("-" for standard
// input) and the column names of its header row.
type inputID struct {
	path    string
	columns []string
}

// journalInput identifies the input file (or "-") whose header row names columns.
func journalInput(file string, columns []string) (inputID, error) {
	if file == "-" {
		return inputID{path: "-", columns: columns}, nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return inputID{}, fmt.Errorf("finding the input's absolute path: %w", err)
	}
	return inputID{path: abs, columns: columns}, nil
}

// matches reports whether a journal whose header is h belongs to the input: the same
// file (its absolute path); or, for a file moved with its journal, or standard input, the
// same name and columns. Rows are known by their content, so editing the rows of the
// same file (appending, reordering) keeps its journal.
func (in inputID) matches(h journalHeader) bool {
	if h.Input == in.path && in.path != "-" {
		return true
	}
	sameColumns := h.Columns == nil || strings.Join(sortedCopy(h.Columns), ",") == strings.Join(sortedCopy(in.columns), ",")
	return filepath.Base(h.Input) == filepath.Base(in.path) && sameColumns
}

// sortedCopy is names sorted, leaving names as it was: column order is not identity.
func sortedCopy(names []string) []string {
	return slices.Sorted(slices.Values(names))
}

// journalRecord is one state change of one row. It never holds the token: the error
// texts come from package pipedrive, which keeps credentials out of them.
type journalRecord struct {
	Row    string    `json:"row,omitempty"`  // the rowID; none in a stateStopped record
	Line   int       `json:"line,omitempty"` // the row's line in the input when it was written, for people
	State  string    `json:"state"`
	At     time.Time `json:"at"`
	How    string    `json:"how,omitempty"`
	FileID int64     `json:"file_id,omitempty"`
	Status int       `json:"status,omitempty"` // the HTTP status of a failure, when there was one
	Error  string    `json:"error,omitempty"`
}

// rowState is what is known about a row: the fold of its journal records, then of what
// this run did.
type rowState struct {
	state   string
	how     string
	fileID  int64
	since   time.Time // when it was last about to be sent, for FindCreated
	status  int
	msg     string
	earlier bool // the state comes from an earlier run's journal
}

// journalError is a journal that cannot be used: it belongs to another input, or is not
// a journal. It is a usage error (exit 2): nothing was sent.
type journalError struct{ msg string }

// Error says what is wrong with the journal and what to do.
func (e *journalError) Error() string { return e.msg }

// journal is the append-only record of a run. Each record is written and synced before
// record returns, so that a crash loses at most the record being written; a torn last line
// is ignored (and cut off) when the journal is opened again.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	now  func() time.Time
	last time.Time // the newest time an earlier run recorded (any record), zero if none
}

// readJournal returns the states the journal at path records for the input named input,
// without changing the file; a missing journal records nothing.
func readJournal(path string, input inputID) (map[rowID]rowState, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[rowID]rowState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer f.Close()
	sc, err := scanJournal(f, path, input)
	return sc.states, err
}

// openJournal opens the journal at path for appending, creating it with a header for
// input when it does not exist or holds no complete line, and returns the states it
// records. A torn last line is cut off first. The journal stays locked against other runs
// until Close.
func openJournal(path string, input inputID, now func() time.Time) (*journal, map[rowID]rowState, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the journal: %w", err)
	}
	j := &journal{f: f, now: now}
	err = lockJournal(f, path)
	var sc journalScan
	if err == nil {
		sc, err = scanJournal(f, path, input)
	}
	if err == nil {
		err = j.prepare(path, input, sc.end, sc.hasHeader)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	j.last = sc.last
	return j, sc.states, nil
}

// prepare cuts the file at end (dropping a torn last line), writes the header if there
// is none, and leaves the offset at the end for appending.
func (j *journal) prepare(path string, input inputID, end int64, hasHeader bool) error {
	info, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("opening the journal: %w", err)
	}
	if info.Size() != end {
		if err := j.f.Truncate(end); err != nil {
			return fmt.Errorf("cutting a torn line off the journal: %w", err)
		}
	}
	if _, err := j.f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("opening the journal: %w", err)
	}
	if hasHeader {
		return j.f.Sync()
	}
	if err := j.write(journalHeader{Journal: journalName, Version: 1, Input: input.path, Columns: input.columns, Created: j.now().UTC()}); err != nil {
		return err
	}
	// The new file's directory entry must survive a crash too.
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync() // not every file system can sync a directory; the data is synced
		dir.Close()
	}
	return nil
}

// journalScan is what reading a journal found.
type journalScan struct {
	states    map[rowID]rowState
	end       int64     // the offset after the last complete record
	hasHeader bool      // whether the journal has its header line
	last      time.Time // the newest record's time, of any state
}

// scanJournal reads a journal. A last line that is torn (no newline, or not JSON) is left
// out; a bad line before the last is an error.
func scanJournal(r io.Reader, path string, input inputID) (journalScan, error) {
	sc := journalScan{states: map[rowID]rowState{}}
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return sc, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return journalScan{}, fmt.Errorf("reading the journal: %w", err)
		}
		complete := err == nil
		if !sc.hasHeader {
			err = checkHeader(line, path, input)
			var je *journalError
			if errors.As(err, &je) {
				return journalScan{}, err
			}
		} else {
			var at time.Time
			if at, err = applyRecord(sc.states, line); err == nil && complete && at.After(sc.last) {
				sc.last = at
			}
		}
		if err != nil || !complete {
			if _, more := br.Peek(1); more == nil {
				return journalScan{}, &journalError{fmt.Sprintf("journal %s, line %d: %v: it is not a journal this command wrote, or it is damaged", path, n, err)}
			}
			return sc, nil // a torn last line: the crash it records lost it
		}
		sc.hasHeader = true
		sc.end += int64(len(line))
	}
}

// checkHeader accepts the header of a journal for input. A line that is not JSON is a
// plain error (a torn header); a header for another input is a *journalError.
func checkHeader(line []byte, path string, input inputID) error {
	var h journalHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return fmt.Errorf("not a JSON line: %w", err)
	}
	switch {
	case h.Journal != journalName || h.Version != 1:
		return &journalError{fmt.Sprintf("%s is not a journal of pipedrive-files bulk (version 1): give another --journal", path)}
	case !input.matches(h):
		return &journalError{fmt.Sprintf("journal %s was written for the input %s (columns %s), not %s (columns %s): give another --journal, or delete it to start over "+
			"(a journal follows its input when the file is edited, or moved keeping its name and columns)",
			path, h.Input, strings.Join(h.Columns, ","), input.path, strings.Join(input.columns, ","))}
	}
	return nil
}

// applyRecord folds one record line into states and returns the record's time. A
// stateStopped record changes no row.
func applyRecord(states map[rowID]rowState, line []byte) (time.Time, error) {
	var rec journalRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return time.Time{}, fmt.Errorf("not a JSON line: %w", err)
	}
	if rec.State == stateStopped {
		return rec.At, nil
	}
	id, err := parseRowID(rec.Row)
	if err != nil {
		return time.Time{}, err
	}
	st := states[id]
	switch rec.State {
	case stateSending:
		st.since = rec.At
	case stateDone, stateFailed, stateUnknown, stateNotSent:
	default:
		return time.Time{}, fmt.Errorf("unknown state %q", rec.State)
	}
	st.state, st.how, st.fileID, st.status, st.msg, st.earlier = rec.State, rec.How, rec.FileID, rec.Status, rec.Error, true
	states[id] = st
	return rec.At, nil
}

// record appends the row's new state and syncs it to disk before returning.
func (j *journal) record(id rowID, line int, st rowState) error {
	rec := journalRecord{Row: id.String(), Line: line, State: st.state, At: j.now().UTC(), How: st.how,
		FileID: st.fileID, Status: st.status, Error: st.msg}
	if st.state == stateSending {
		rec.At = st.since.UTC()
	}
	return j.write(rec)
}

// stopped records that the run ends now, synced: the next run's settle wait counts from it.
func (j *journal) stopped() error {
	return j.write(journalRecord{State: stateStopped, At: j.now().UTC()})
}

// write appends v as one JSON line and syncs the file.
func (j *journal) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing the journal: %w", err)
	}
	return nil
}

// Close closes the file; every record is already synced.
func (j *journal) Close() error { return j.f.Close() }
