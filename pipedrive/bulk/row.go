package bulk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"

	"strconv"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Row is one step of a plan: exactly one of Create, Link and Delete is set. Make one with
// CreateRow, LinkRow or DeleteRow.
type Row struct {
	// Line is where the row comes from (an input line, say): it is written to the
	// journal and given back in Results, for people. It is not part of the row's
	// identity.
	Line int
	// Create asks for a new Google file linked to Create.Item (POST /files/remote).
	Create *pipedrive.CreateRemoteFileRequest
	// Link asks for the Drive file Link.RemoteID to be linked to Link.Item, unless it is
	// already (POST /files/remoteLink, through FilesService.EnsureLinked).
	Link *pipedrive.LinkRemoteFileRequest
	// Delete asks for a file to be deleted (DELETE /files/{id}), as Undo's rows do. A file
	// that is already gone counts as deleted.
	Delete *Deletion
}

// Deletion names the file a Delete row deletes.
type Deletion struct {
	FileID int64
}

// CreateRow is a row that creates the file r describes.
func CreateRow(line int, r pipedrive.CreateRemoteFileRequest) Row {
	return Row{Line: line, Create: &r}
}

// LinkRow is a row that links the Drive file r names.
func LinkRow(line int, r pipedrive.LinkRemoteFileRequest) Row {
	return Row{Line: line, Link: &r}
}

// DeleteRow is a row that deletes the file with this id.
func DeleteRow(line int, fileID int64) Row {
	return Row{Line: line, Delete: &Deletion{FileID: fileID}}
}

// ErrInvalidRow matches the error of a Row that does not set exactly one of Create, Link
// and Delete, or deletes a file id below 1: New refuses its plan.
var ErrInvalidRow = errors.New("bulk: invalid row")

// check reports a row that is neither a create nor a link. The requests themselves are
// validated by package pipedrive when sent: a row that breaks their rules fails alone.
func (r Row) check() error {
	set := 0
	for _, isSet := range []bool{r.Create != nil, r.Link != nil, r.Delete != nil} {
		if isSet {
			set++
		}
	}
	switch {
	case set != 1:
		return fmt.Errorf("%w: line %d: set exactly one of Create, Link and Delete", ErrInvalidRow, r.Line)
	case r.Delete != nil && r.Delete.FileID < 1:
		return fmt.Errorf("%w: line %d: Delete.FileID must be at least 1, got %d", ErrInvalidRow, r.Line, r.Delete.FileID)
	}
	return nil
}

// Item is the deal, person or organization the row attaches a file to; the zero Item for
// a Delete row.
func (r Row) Item() pipedrive.Item {
	if r.Create != nil {
		return r.Create.Item
	}
	if r.Link != nil {
		return r.Link.Item
	}
	return pipedrive.Item{}
}

// content is a digest of what the row asks for: action, item, file type, title and
// remote id, joined as version 1 of the journal has always joined them, so that journals
// written before this package stay valid.
func (r Row) content() [16]byte {
	action, fileType, title, remoteID := "link", "", "", ""
	it := r.Item()
	switch {
	case r.Create != nil:
		action, fileType, title = "create", string(r.Create.FileType), r.Create.Title
	case r.Link != nil:
		remoteID = r.Link.RemoteID
	default:
		action, it = "delete", pipedrive.Item{Type: "file", ID: r.Delete.FileID}
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{
		action, string(it.Type), strconv.FormatInt(it.ID, 10), fileType, title, remoteID,
	}, "\x00")))
	var c [16]byte
	copy(c[:], sum[:16])
	return c
}

// RowID names a row across runs: a digest of what it asks for, and which occurrence of
// that request it is in the plan (1 for the first row asking for it, 2 for the second,
// ...). Reordering rows or appending new ones leaves the other rows' ids as they were.
// Its text form, which the journal uses, is 32 hex digits, a dot and the occurrence.
type RowID struct {
	content [16]byte
	occ     uint32
}

// String is the id's text form, e.g. "0f3a...9c.1".
func (id RowID) String() string {
	return hex.EncodeToString(id.content[:]) + "." + strconv.FormatUint(uint64(id.occ), 10)
}

// IsZero reports whether id is the zero RowID, which names no row.
func (id RowID) IsZero() bool { return id.occ == 0 }

// MarshalText writes the id's text form.
func (id RowID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads the text form String writes.
func (id *RowID) UnmarshalText(b []byte) error {
	var parsed RowID
	hexPart, occ, ok := strings.Cut(string(b), ".")
	if !ok || len(hexPart) != 2*len(parsed.content) {
		return fmt.Errorf("row id %q is not HEX.N with %d hex digits", b, 2*len(parsed.content))
	}
	n, err := strconv.ParseUint(occ, 10, 32)
	if err == nil && n == 0 {
		err = errors.New("the occurrence number starts at 1")
	}
	if err == nil {
		_, err = hex.Decode(parsed.content[:], []byte(hexPart))
	}
	if err != nil {
		return fmt.Errorf("row id %q is not HEX.N: %w", b, err)
	}
	parsed.occ = uint32(n)
	*id = parsed
	return nil
}

// Source yields a plan's rows, from the start each time it is called: a Runner reads them
// once in New, twice in Run (the rows an earlier run left in flight, then the rest) and
// once for each Results, and never holds them all. An error it yields stops the run.
// During one Runner's life a plan must yield the same rows in the same order; between
// runs rows may be reordered, added or removed.
type Source func() iter.Seq2[Row, error]

// Slice is a Source over rows held in memory.
func Slice(rows []Row) Source {
	return func() iter.Seq2[Row, error] {
		return func(yield func(Row, error) bool) {
			for _, r := range rows {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}
