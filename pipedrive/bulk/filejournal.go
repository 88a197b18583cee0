package bulk

import (
	"bufio"
	"bytes"
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

// Errors a FileJournal is refused with, to test with errors.Is. Nothing is written to a
// journal refused with one of them.
var (
	// ErrJournalInUse: another run, in this process or another, has the journal open.
	ErrJournalInUse = errors.New("bulk: the journal is in use by another run")
	// ErrNotJournal: the file is not a journal of this package (a CSV, a note, a
	// journal of another version). It is left as it is.
	ErrNotJournal = errors.New("bulk: not a journal")
	// ErrOtherPlan: the journal was written for another plan (another Header).
	ErrOtherPlan = errors.New("bulk: the journal belongs to another plan")
	// ErrJournalDamaged: a complete line of the journal is not a record. Only a last line
	// cut short (no newline), as a crash while writing leaves it, is tolerated.
	ErrJournalDamaged = errors.New("bulk: the journal is damaged")
	// ErrReadOnly: Append or End on a journal opened with ReadJournal.
	ErrReadOnly = errors.New("bulk: the journal was opened read-only")
)

// journalName marks the first line of a journal; journalVersion is the format's version.
const (
	journalName    = "pipedrive-files bulk"
	journalVersion = 1
)

// headerPrefix is how every journal's first line starts, as encoding/json writes it.
const headerPrefix = `{"journal":"` + journalName + `",`

// Header says which plan a journal belongs to. The CLI gives the input file's absolute
// path and its CSV header's column names.
type Header struct {
	// Input names the plan: a file's absolute path, or any name a program chooses.
	Input string
	// Columns are the plan's column names, if it has any; their order does not matter.
	Columns []string
}

// matches reports whether a journal written for stored belongs to the plan h: the same
// Input; or, for a file moved with its journal, the same base name and columns. Rows are
// known by their content, so editing the rows of the same file keeps its journal.
func (h Header) matches(stored journalHeader) bool {
	if stored.Input == h.Input && h.Input != "-" {
		return true
	}
	sameColumns := stored.Columns == nil || slices.Equal(slices.Sorted(slices.Values(stored.Columns)), slices.Sorted(slices.Values(h.Columns)))
	return filepath.Base(stored.Input) == filepath.Base(h.Input) && sameColumns
}

// journalHeader is a journal's first line.
type journalHeader struct {
	Journal string    `json:"journal"`
	Version int       `json:"version"`
	Input   string    `json:"input"`
	Columns []string  `json:"columns,omitempty"`
	Created time.Time `json:"created"`
}

// journalRecord is a Record as a line of the file. A record with State "stopped" and no
// row is End's.
type journalRecord struct {
	Row    string    `json:"row,omitempty"`
	Line   int       `json:"line,omitempty"`
	State  string    `json:"state"`
	At     time.Time `json:"at"`
	How    string    `json:"how,omitempty"`
	FileID int64     `json:"file_id,omitempty"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// stateStopped is End's record.
const stateStopped = "stopped"

// FileJournal is a Journal kept in a file, one JSON record per line, after a header line
// naming its plan. Each record is written and synced to disk before Append returns. The
// file is created readable by its owner only (0600) and locked while open, so that two
// runs cannot use it at once. Its records hold error texts from package pipedrive, which
// keeps credentials out of them.
type FileJournal struct {
	path     string
	f        *os.File
	header   Header
	readOnly bool
	// sync makes a write durable; a test swaps it to see when records are synced.
	sync func(*os.File) error

	mu       sync.Mutex
	loaded   bool  // Load read the whole file and found no damage
	end      int64 // the offset after the last complete line
	torn     bool  // a torn last line follows end: cut off before the first Append
	isNew    bool  // the file held no header: one is written before the first Append
	writeErr error // a failed write: the journal takes no more records
}

// OpenJournal opens the journal at path for the plan h, creating it (mode 0600) when it
// does not exist. The journal stays locked until Close: a second OpenJournal of the same
// file, in this process or another, fails with ErrJournalInUse. A file whose first line
// is not a journal's fails with ErrNotJournal, another plan's journal with ErrOtherPlan;
// damage is found by Load (ErrJournalDamaged). Nothing is written until the first Append
// or End.
func OpenJournal(path string, h Header) (*FileJournal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bulk: opening the journal: %w", err)
	}
	j := &FileJournal{path: path, f: f, header: h, sync: (*os.File).Sync}
	if err := j.open(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// ReadJournal opens the journal at path for reading only, without locking it: to see
// what it records (a dry run, say) while another run may be using it. A missing file
// records nothing. Append and End fail with ErrReadOnly.
func ReadJournal(path string, h Header) (*FileJournal, error) {
	j := &FileJournal{path: path, header: h, readOnly: true}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		j.isNew = true
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bulk: opening the journal: %w", err)
	}
	j.f = f
	if err := j.checkFile(); err != nil {
		f.Close()
		return nil, err
	}
	if err := j.readHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// open checks, locks and reads the header of the file just opened for writing.
func (j *FileJournal) open() error {
	if err := j.checkFile(); err != nil {
		return err
	}
	if err := lockFile(j.f); err != nil {
		if errors.Is(err, errLocked) {
			return fmt.Errorf("%w: %s is open in another run of this plan: wait for it to end", ErrJournalInUse, j.path)
		}
		return fmt.Errorf("bulk: locking the journal %s: %w", j.path, err)
	}
	return j.readHeader()
}

// checkFile refuses anything but a regular file: a directory, a device, a pipe.
func (j *FileJournal) checkFile() error {
	info, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("bulk: opening the journal: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrNotJournal, j.path)
	}
	return nil
}

// readHeader reads and checks the first line, leaving the file's offset after it. An
// empty file, or one whose only content is the start of a header cut short (a crash as
// the journal was created), is a new journal.
func (j *FileJournal) readHeader() error {
	br := bufio.NewReader(j.f)
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, io.EOF) && (len(line) == 0 || isHeaderStart(line)):
		j.isNew, j.torn = true, len(line) > 0
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, bufio.ErrBufferFull):
		return fmt.Errorf("%w: the first line of %s is not a journal's header: give the journal of this plan, or a path where none exists yet", ErrNotJournal, j.path)
	case err != nil:
		return fmt.Errorf("bulk: reading the journal: %w", err)
	}
	var h journalHeader
	if json.Unmarshal(line, &h) != nil || h.Journal != journalName {
		return fmt.Errorf("%w: the first line of %s is not a journal's header: give the journal of this plan, or a path where none exists yet", ErrNotJournal, j.path)
	}
	if h.Version != journalVersion {
		return fmt.Errorf("%w: %s is a journal of version %d; this program reads version %d", ErrNotJournal, j.path, h.Version, journalVersion)
	}
	if !j.header.matches(h) {
		return fmt.Errorf("%w: %s was written for %s (columns %s), not %s (columns %s): give this plan's own journal, or delete that one to start over "+
			"(a journal follows its input when the file is edited, or moved keeping its name and columns)",
			ErrOtherPlan, j.path, h.Input, strings.Join(h.Columns, ","), j.header.Input, strings.Join(j.header.Columns, ","))
	}
	j.end = int64(len(line))
	_, err = j.f.Seek(j.end, io.SeekStart)
	return err
}

// isHeaderStart reports whether b, a line cut short, is how a header begins.
func isHeaderStart(b []byte) bool {
	n := min(len(b), len(headerPrefix))
	return bytes.HasPrefix(b, []byte(headerPrefix[:n]))
}

// Load reads every record after the header and calls fn with each, oldest first. A
// complete line that is not a record is damage (ErrJournalDamaged, naming the line):
// the file is left as it is. A last line with no newline is a write a crash cut short:
// it is left out, and cut off before the first Append.
func (j *FileJournal) Load(fn func(Record)) (time.Time, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var last time.Time
	if j.isNew {
		j.loaded = true
		return last, nil
	}
	br := bufio.NewReaderSize(j.f, 64<<10)
	for n := 2; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			j.torn = len(line) > 0
			break
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("bulk: reading the journal: %w", err)
		}
		rec, at, err := parseRecord(line)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %s, line %d: %v: it was changed by hand or by another program; restore it, or delete it to start over", ErrJournalDamaged, j.path, n, err)
		}
		if at.After(last) {
			last = at
		}
		if !rec.Row.IsZero() {
			fn(rec)
		}
		j.end += int64(len(line))
	}
	j.loaded = true
	return last, nil
}

// parseRecord reads one line. End's record comes back with a zero Row.
func parseRecord(line []byte) (Record, time.Time, error) {
	var jr journalRecord
	if err := json.Unmarshal(line, &jr); err != nil {
		return Record{}, time.Time{}, fmt.Errorf("not a record: %w", err)
	}
	if jr.At.IsZero() {
		return Record{}, time.Time{}, errors.New("not a record: no time")
	}
	if jr.State == stateStopped && jr.Row == "" {
		return Record{}, jr.At, nil
	}
	rec := Record{Line: jr.Line, At: jr.At, FileID: jr.FileID, HTTP: jr.Status, Err: jr.Error}
	if err := rec.Row.UnmarshalText([]byte(jr.Row)); err != nil {
		return Record{}, time.Time{}, err
	}
	if err := rec.Status.UnmarshalText([]byte(jr.State)); err != nil || rec.Status == NotStarted {
		return Record{}, time.Time{}, fmt.Errorf("unknown state %q", jr.State)
	}
	if err := rec.How.UnmarshalText([]byte(jr.How)); err != nil {
		return Record{}, time.Time{}, err
	}
	if rec.Status == Done && (rec.FileID <= 0 || rec.How == HowNone) {
		return Record{}, time.Time{}, errors.New("a done record needs a file id and how")
	}
	return rec, jr.At, nil
}

// Append writes r as one line and syncs it. The journal must have been loaded first
// (New does it), so that damage is never written after.
func (j *FileJournal) Append(r Record) error {
	if r.Row.IsZero() {
		return errors.New("bulk: Append: the record names no row")
	}
	jr := journalRecord{Row: r.Row.String(), Line: r.Line, State: r.Status.String(), At: r.At.UTC(), How: r.How.String(),
		FileID: r.FileID, Status: r.HTTP, Error: r.Err}
	return j.write(jr, r.At)
}

// End records that a run ended at.
func (j *FileJournal) End(at time.Time) error {
	return j.write(journalRecord{State: stateStopped, At: at.UTC()}, at)
}

// write appends v, a record of time at, as one JSON line and syncs the file, first
// cutting off a torn last line and writing the header of a new journal.
func (j *FileJournal) write(v any, at time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bulk: writing the journal: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.readOnly:
		return ErrReadOnly
	case !j.loaded:
		return errors.New("bulk: the journal must be loaded before it is written")
	case j.writeErr != nil:
		return j.writeErr
	}
	if err := j.prepare(at); err != nil {
		j.writeErr = err
		return err
	}
	if _, err := j.f.Write(b); err != nil {
		j.writeErr = fmt.Errorf("bulk: writing the journal %s: %w", j.path, err)
		return j.writeErr
	}
	if err := j.sync(j.f); err != nil {
		j.writeErr = fmt.Errorf("bulk: syncing the journal %s: %w", j.path, err)
		return j.writeErr
	}
	j.end += int64(len(b))
	return nil
}

// prepare cuts a torn last line off and writes a new journal's header, created at the
// time of its first record.
func (j *FileJournal) prepare(created time.Time) error {
	if j.torn {
		if err := j.f.Truncate(j.end); err != nil {
			return fmt.Errorf("bulk: cutting a torn line off the journal %s: %w", j.path, err)
		}
		j.torn = false
	}
	if _, err := j.f.Seek(j.end, io.SeekStart); err != nil {
		return fmt.Errorf("bulk: writing the journal %s: %w", j.path, err)
	}
	if !j.isNew {
		return nil
	}
	h, err := json.Marshal(journalHeader{Journal: journalName, Version: journalVersion, Input: j.header.Input, Columns: j.header.Columns, Created: created.UTC()})
	if err != nil {
		return fmt.Errorf("bulk: writing the journal: %w", err)
	}
	h = append(h, '\n')
	if _, err := j.f.Write(h); err != nil {
		return fmt.Errorf("bulk: writing the journal %s: %w", j.path, err)
	}
	j.end += int64(len(h))
	j.isNew = false
	// The new file's directory entry must survive a crash too.
	if dir, err := os.Open(filepath.Dir(j.path)); err == nil {
		_ = dir.Sync() // not every file system can sync a directory; the data is synced
		dir.Close()
	}
	return nil
}

// Path is the journal's file.
func (j *FileJournal) Path() string { return j.path }

// Close releases the lock and closes the file; every record is already synced.
func (j *FileJournal) Close() error {
	if j.f == nil {
		return nil
	}
	return j.f.Close()
}
