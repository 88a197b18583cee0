package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
)

// The columns a bulk input may have, in the order the report writes them.
const (
	colAction   = "action"
	colItemType = "item_type"
	colItemID   = "item_id"
	colFileType = "file_type"
	colTitle    = "title"
	colRemoteID = "remote_id"
	colURL      = "url"
	numColumns  = 7
)

// The columns' indexes in columnNames and rowReader.cols.
const (
	idxAction = iota
	idxItemType
	idxItemID
	idxFileType
	idxTitle
	idxRemoteID
	idxURL
)

// columnNames lists the columns; a function rather than a package variable so that
// nothing can change it.
func columnNames() [numColumns]string {
	return [numColumns]string{colAction, colItemType, colItemID, colFileType, colTitle, colRemoteID, colURL}
}

// columnList is the column names for messages: "action, item_type, ...".
func columnList() string {
	names := columnNames()
	return strings.Join(names[:], ", ")
}

// The two actions a row may ask for.
const (
	actionCreate = "create"
	actionLink   = "link"
)

// actionOf is the row's action column.
func actionOf(row bulk.Row) string {
	switch {
	case row.Create != nil:
		return actionCreate
	case row.Delete != nil:
		return "delete" // an undo's row
	}
	return actionLink
}

// rowError is an invalid row: its line and every rule it breaks.
type rowError struct {
	line int
	msgs []string // e.g. "title: required for create rows"
}

// Error is "line N: " and every broken rule, separated by "; ".
func (e *rowError) Error() string {
	return "line " + strconv.Itoa(e.line) + ": " + strings.Join(e.msgs, "; ")
}

// rowReader reads bulk rows from CSV, one at a time: the input is never held whole, nor
// a field longer than maxFieldBytes (see fieldLimiter).
type rowReader struct {
	csv   *csv.Reader
	lim   *fieldLimiter
	cols  [numColumns]int // field index of each column, -1 when the header lacks it
	width int             // the number of fields in the header
	names []string        // the header's column names, as read (lower case, trimmed)
}

// errEmptyInput is an input with no header row: no bytes, or only empty lines.
var errEmptyInput = errors.New("the input is empty: want a header row naming the columns (" + columnList() + ")")

// newRowReader reads the header. UTF-8 with or without a byte order mark, CRLF or LF.
// A header naming unknown, repeated or too few columns is a *rowError for its line; an
// input without a header is errEmptyInput.
func newRowReader(r io.Reader) (*rowReader, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	lim := newFieldLimiter(br, maxFieldBytes)
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1 // rows of the wrong width are reported with the others
	cr.ReuseRecord = true
	rr := &rowReader{csv: cr, lim: lim}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errEmptyInput
	}
	if err != nil {
		return nil, rr.csvError(err)
	}
	line, c := rr.record()
	if e := rr.tooLong(header, line, c, func(i int) string { return fmt.Sprintf("column %d of the header", i+1) }); e != nil {
		return nil, e
	}
	if err := rr.readHeader(header, line); err != nil {
		return nil, err
	}
	return rr, nil
}

// record is the input line the record just read starts on, and its cut if fieldLimiter
// cut it short.
func (rr *rowReader) record() (int, *cut) {
	line, _ := rr.csv.FieldPos(0)
	return rr.lim.resolve(line)
}

// tooLong is the error of a record with a field longer than maxFieldBytes, or cut short
// by fieldLimiter; nil for any other. name names the field of an index.
func (rr *rowReader) tooLong(rec []string, line int, c *cut, name func(int) string) error {
	e := &rowError{line: line}
	tooLong := func(i int) {
		e.msgs = append(e.msgs, fmt.Sprintf("%s: longer than %d bytes (64 KiB), the limit for a field", name(i), maxFieldBytes))
	}
	switch {
	case c != nil && c.field >= 0:
		tooLong(c.field)
	case c != nil:
		e.msgs = append(e.msgs, fmt.Sprintf("longer than %d bytes, which no valid row is (at most %d fields of %d bytes): too many fields?", maxRawRecord, numColumns, maxFieldBytes))
	default:
		for i, f := range rec {
			if len(f) > maxFieldBytes {
				tooLong(i)
			}
		}
	}
	if len(e.msgs) == 0 {
		return nil
	}
	return e
}

// fieldName is how messages name a row's field i: its column, as the header names it.
func (rr *rowReader) fieldName(i int) string {
	if i < len(rr.names) && rr.names[i] != "" {
		return rr.names[i]
	}
	return fmt.Sprintf("field %d", i+1)
}

// readHeader maps the header's names to columns.
func (rr *rowReader) readHeader(header []string, line int) error {
	for i := range rr.cols {
		rr.cols[i] = -1
	}
	rr.width = len(header)
	var msgs []string
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		rr.names = append(rr.names, name)
		c := columnIndex(name)
		switch {
		case name == "":
			msgs = append(msgs, fmt.Sprintf("empty column name in the header, column %d (a trailing comma?)", i+1))
		case c < 0:
			msgs = append(msgs, fmt.Sprintf("unknown column %q (the columns are %s)", name, columnList()))
		case rr.cols[c] >= 0:
			msgs = append(msgs, fmt.Sprintf("column %q appears twice", name))
		default:
			rr.cols[c] = i
		}
	}
	for _, c := range []int{idxAction, idxItemType, idxItemID} { // required
		if rr.cols[c] < 0 {
			msgs = append(msgs, fmt.Sprintf("missing column %q", columnNames()[c]))
		}
	}
	if len(msgs) > 0 {
		return &rowError{line: line, msgs: msgs}
	}
	return nil
}

// columnIndex is the column's index in columnNames, or -1.
func columnIndex(name string) int {
	for i, c := range columnNames() {
		if c == name {
			return i
		}
	}
	return -1
}

// next returns the next row; io.EOF at the end. An invalid row is a *rowError; reading
// may go on after it, so that every bad row is reported. Lines that are empty, or whose
// fields are all blank (as spreadsheets export them), are skipped.
func (rr *rowReader) next() (bulk.Row, error) {
	for {
		rec, err := rr.csv.Read()
		if err != nil {
			return bulk.Row{}, rr.csvError(err)
		}
		line, c := rr.record()
		if err := rr.tooLong(rec, line, c, rr.fieldName); err != nil {
			return bulk.Row{}, err
		}
		if blank(rec) {
			continue
		}
		return rr.parse(rec, line)
	}
}

// inputSource is the plan in the CSV file at path (name is how messages call it), read
// from its start each time: bulk reads it more than once. The input was checked before:
// a row that is invalid now means that the file was changed since.
func inputSource(path, name string) bulk.Source {
	return func() iter.Seq2[bulk.Row, error] {
		return func(yield func(bulk.Row, error) bool) {
			f, err := os.Open(path)
			if err != nil {
				yield(bulk.Row{}, fmt.Errorf("reading %s: %w", name, err))
				return
			}
			defer f.Close()
			rr, err := newRowReader(f)
			for err == nil {
				var row bulk.Row
				if row, err = rr.next(); err == nil && !yield(row, nil) {
					return
				}
			}
			if !errors.Is(err, io.EOF) {
				yield(bulk.Row{}, fmt.Errorf("reading %s again: %w (was it changed during the run?)", name, err))
			}
		}
	}
}

// csvError turns a CSV syntax error into a *rowError for its line in the input; io.EOF
// passes through.
func (rr *rowReader) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		start, _ := rr.lim.resolve(pe.StartLine)
		return &rowError{line: pe.Line + start - pe.StartLine, msgs: []string{"not valid CSV: " + pe.Err.Error()}}
	}
	return err
}

// blank reports whether every field of the record is empty or spaces.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parse checks one record against every rule and collects all the rules it breaks.
func (rr *rowReader) parse(rec []string, line int) (bulk.Row, error) {
	e := &rowError{line: line}
	if len(rec) != rr.width {
		e.msgs = append(e.msgs, fmt.Sprintf("has %d fields, the header has %d", len(rec), rr.width))
		return bulk.Row{}, e
	}
	field := func(c int) string {
		if rr.cols[c] < 0 {
			return ""
		}
		return strings.TrimSpace(rec[rr.cols[c]])
	}
	bad := func(col, reason string) { e.msgs = append(e.msgs, col+": "+reason) }

	var row bulk.Row
	item := parseItem(strings.ToLower(field(idxItemType)), field(idxItemID), bad)
	switch strings.ToLower(field(idxAction)) {
	case actionCreate:
		row = bulk.CreateRow(line, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.FileType(strings.ToLower(field(idxFileType))), Title: field(idxTitle), Item: item})
		for _, c := range []int{idxRemoteID, idxURL} {
			if field(c) != "" {
				bad(columnNames()[c], "not used by create rows (leave it empty)")
			}
		}
		if field(idxFileType) == "" {
			bad(colFileType, "required for create rows (gdoc, gsheet, gslides, gform or gdraw)")
		}
		if rr.cols[idxTitle] < 0 || rec[rr.cols[idxTitle]] == "" { // a blank title is left to Validate's rule
			bad(colTitle, "required for create rows")
		}
		checkRequest(row.Create.Validate(), e)
	case actionLink:
		for _, c := range []int{idxFileType, idxTitle} {
			if field(c) != "" {
				bad(columnNames()[c], "not used by link rows (leave it empty)")
			}
		}
		row = bulk.LinkRow(line, pipedrive.LinkRemoteFileRequest{RemoteID: linkTarget(field(idxRemoteID), field(idxURL), bad), Item: item})
		if row.Link.RemoteID != "" {
			checkRequest(row.Link.Validate(), e)
		}
	case "":
		bad(colAction, `required: "create" or "link"`)
	default:
		bad(colAction, fmt.Sprintf(`must be "create" or "link", got %q`, field(idxAction)))
	}
	if len(e.msgs) > 0 {
		return bulk.Row{}, e
	}
	return row, nil
}

// parseItem reads item_type and item_id, reporting what is wrong with them through bad.
// An invalid item is returned as far as it was read; the row is rejected anyway.
func parseItem(typ, id string, bad func(col, reason string)) pipedrive.Item {
	it := pipedrive.Item{Type: pipedrive.ItemType(typ)}
	if !it.Type.Valid() {
		bad(colItemType, fmt.Sprintf(`must be "deal", "person" or "organization", got %q`, typ))
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		bad(colItemID, fmt.Sprintf("must be a positive whole number, got %q", id))
	}
	it.ID = n
	return it
}

// linkTarget is the Drive file id from remote_id or url, exactly one of which is given.
func linkTarget(remoteID, rawURL string, bad func(col, reason string)) string {
	switch {
	case remoteID != "" && rawURL != "":
		bad(colURL, "give remote_id or url, not both")
	case remoteID != "":
		return remoteID
	case rawURL != "":
		id, err := pipedrive.RemoteIDFromURL(rawURL)
		var ve *pipedrive.ValidationError
		if errors.As(err, &ve) {
			bad(colURL, ve.Reason)
		}
		return id
	default:
		bad(colRemoteID, "link rows need remote_id or url")
	}
	return ""
}

// checkRequest adds the library's verdict on the request to e, in terms of the columns,
// unless e already names that column (the library stops at the first broken rule; the
// checks above report each column once).
func checkRequest(err error, e *rowError) {
	var ve *pipedrive.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	col := map[string]string{
		"FileType": colFileType, "Title": colTitle, "RemoteID": colRemoteID,
		"Item.Type": colItemType, "Item.ID": colItemID,
	}[ve.Field]
	if col == "" {
		col = ve.Field
	}
	for _, m := range e.msgs {
		if strings.HasPrefix(m, col+": ") {
			return
		}
	}
	reason := strings.Replace(ve.Reason, "use RemoteIDFromURL to extract the id from a URL", "put the URL in the url column instead", 1)
	e.msgs = append(e.msgs, col+": "+reason)
}

// inputPlan is what a valid input asks for: rows per action and item type.
type inputPlan struct {
	columns []string // the header's column names
	rows    int
	counts  map[string]map[pipedrive.ItemType]int // action -> item type -> rows
}

// checkInput reads the whole input and checks every row. It returns the plan, or the
// invalid rows' messages (all of them, in line order). err is errEmptyInput or an I/O
// error.
func checkInput(r io.Reader) (plan inputPlan, bad []string, err error) {
	plan.counts = map[string]map[pipedrive.ItemType]int{actionCreate: {}, actionLink: {}}
	rr, err := newRowReader(r)
	var re *rowError
	if errors.As(err, &re) {
		return plan, []string{re.Error()}, nil
	}
	if err != nil {
		return plan, nil, err
	}
	plan.columns = rr.names
	for {
		row, err := rr.next()
		switch {
		case errors.Is(err, io.EOF):
			return plan, bad, nil
		case errors.As(err, &re):
			bad = append(bad, re.Error())
			continue
		case err != nil:
			return plan, nil, err
		}
		plan.rows++
		plan.counts[actionOf(row)][row.Item().Type]++
	}
}
