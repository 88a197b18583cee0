package pipedrivetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Fixtures lists the deals, persons, organizations and Google Drive files a server starts
// with, in place of the built-in ones NewServer describes: with WithFixtures, these and
// only these exist. Its JSON form, which LoadFixtures reads, is
//
//	{"deals": [101, 102], "persons": [7], "organizations": [3],
//	 "drive_files": [{"id": "123magicfile123", "name": "Price list"}]}
//
// Items are known by id alone: deal N is titled "Deal N", person N is named "Person N" and
// organization N "Organization N", and none is related to another, so a file linked to a
// deal carries no person or organization. Each Drive file is a Google Doc. A key left out
// means none of that kind. Ids must be positive and listed once per kind (deal 5 and
// person 5 are different items); a Drive file id must be a Google Drive file id (letters,
// digits, '-' and '_', as remote_id must be) and listed once.
type Fixtures struct {
	Deals         []int64            `json:"deals"`
	Persons       []int64            `json:"persons"`
	Organizations []int64            `json:"organizations"`
	DriveFiles    []FixtureDriveFile `json:"drive_files"`
}

// FixtureDriveFile is a file in the fake user's Google Drive, listed in Fixtures, which
// POST /files/remoteLink can link.
type FixtureDriveFile struct {
	// ID is the Drive file id (the remote_id that links it), e.g. "123magicfile123".
	ID string `json:"id"`
	// Name becomes the linked file's name and file_name; it may be empty.
	Name string `json:"name"`
}

// LoadFixtures reads Fixtures in their JSON form (see Fixtures) from r, strictly: the
// input must be one JSON object, with no other fields than those of Fixtures and
// FixtureDriveFile, and its ids must follow the rules Fixtures gives. An error names the
// field at fault, e.g. `pipedrivetest: fixtures: deals[2]: must be a positive id, got 0`,
// and wraps the decoder's error when there is one.
func LoadFixtures(r io.Reader) (Fixtures, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Fixtures{}, &fixturesError{reason: "reading: " + err.Error(), err: err}
	}
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		return Fixtures{}, &fixturesError{reason: `empty input: want a JSON object such as {"deals": [12]}`}
	case trimmed[0] != '{':
		return Fixtures{}, &fixturesError{reason: `want a JSON object such as {"deals": [12]}, got ` + describeStart(trimmed)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Fixtures
	if err := dec.Decode(&f); err != nil {
		return Fixtures{}, decodeError(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Fixtures{}, &fixturesError{reason: fmt.Sprintf("unexpected data after the JSON object, which ends at byte %d", end)}
	}
	if err := f.check(); err != nil {
		return Fixtures{}, err
	}
	return f, nil
}

// WithFixtures makes the server start with f's deals, persons, organizations and Drive
// files instead of the built-in ones (see Fixtures), for a test or a serve-fake run with
// items of its own; AddDeal and the other Add methods still add more. A later
// WithFixtures replaces an earlier one. f is copied. It panics if f breaks the rules
// Fixtures gives, with the message LoadFixtures would return.
func WithFixtures(f Fixtures) Option {
	if err := f.check(); err != nil {
		panic("pipedrivetest: WithFixtures: " + err.field + ": " + err.reason)
	}
	f = Fixtures{
		Deals:         slices.Clone(f.Deals),
		Persons:       slices.Clone(f.Persons),
		Organizations: slices.Clone(f.Organizations),
		DriveFiles:    slices.Clone(f.DriveFiles),
	}
	return func(o *options) { o.fixtures = &f }
}

// fixturesError is what is wrong with Fixtures, naming the field.
type fixturesError struct {
	field  string // e.g. "deals[2]"; "" for the input as a whole
	reason string
	err    error // the decoder's error, if any
}

// Error reads "pipedrivetest: fixtures: FIELD: REASON".
func (e *fixturesError) Error() string {
	if e.field == "" {
		return "pipedrivetest: fixtures: " + e.reason
	}
	return "pipedrivetest: fixtures: " + e.field + ": " + e.reason
}

// Unwrap returns the decoder's error, if any.
func (e *fixturesError) Unwrap() error { return e.err }

// decodeError explains an error of encoding/json, naming the field where it can.
func decodeError(err error) *fixturesError {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the top level"
		}
		return &fixturesError{field: field, reason: fmt.Sprintf("want %s, got %s (at byte %d)", wantOf(typeErr.Field), typeErr.Value, typeErr.Offset), err: err}
	case errors.As(err, &syntaxErr):
		return &fixturesError{reason: fmt.Sprintf("invalid JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error()), err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &fixturesError{reason: "the JSON object is cut short", err: err}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &fixturesError{field: name, reason: `unknown field: want "deals", "persons", "organizations" and "drive_files", with "id" and "name" in each drive file`, err: err}
	}
	return &fixturesError{reason: err.Error(), err: err}
}

// wantOf says what the JSON field at path (as json.UnmarshalTypeError.Field gives it)
// must hold.
func wantOf(path string) string {
	switch path {
	case "deals", "persons", "organizations":
		return "an array of positive integer ids"
	case "drive_files":
		return `an array of {"id": ..., "name": ...} objects`
	case "drive_files.id", "drive_files.name":
		return "a string"
	}
	return "a JSON object"
}

// describeStart names the JSON value data starts with, for an error.
func describeStart(data []byte) string {
	switch data[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number or invalid JSON"
}

// check applies the rules Fixtures gives.
func (f *Fixtures) check() *fixturesError {
	for _, kind := range []struct {
		name string
		ids  []int64
	}{{"deals", f.Deals}, {"persons", f.Persons}, {"organizations", f.Organizations}} {
		seen := make(map[int64]int, len(kind.ids))
		for i, id := range kind.ids {
			field := fmt.Sprintf("%s[%d]", kind.name, i)
			if id < 1 {
				return &fixturesError{field: field, reason: fmt.Sprintf("must be a positive id, got %d", id)}
			}
			if first, dup := seen[id]; dup {
				return &fixturesError{field: field, reason: fmt.Sprintf("id %d is listed twice (also %s[%d])", id, kind.name, first)}
			}
			seen[id] = i
		}
	}
	seen := make(map[string]int, len(f.DriveFiles))
	for i, df := range f.DriveFiles {
		field := fmt.Sprintf("drive_files[%d].id", i)
		if reason := checkDriveID(df.ID); reason != "" {
			return &fixturesError{field: field, reason: reason}
		}
		if first, dup := seen[df.ID]; dup {
			return &fixturesError{field: field, reason: fmt.Sprintf("%s is listed twice (also drive_files[%d])", strconv.Quote(df.ID), first)}
		}
		seen[df.ID] = i
	}
	return nil
}

// checkDriveID returns why id is not a Google Drive file id, or "": the rule of the spec's
// remote_id pattern, ^[A-Za-z0-9_-]+$.
func checkDriveID(id string) string {
	if id == "" {
		return "must not be empty"
	}
	if strings.IndexFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) >= 0 {
		return "must be a Google Drive file id of letters, digits, '-' and '_' (not a URL), got " + strconv.Quote(id)
	}
	return ""
}

// seedFixtures is the items and Drive files f lists, as seed returns the built-in ones.
func seedFixtures(f *Fixtures) ([]Organization, []Person, []Deal, []DriveFile) {
	orgs := make([]Organization, len(f.Organizations))
	for i, id := range f.Organizations {
		orgs[i] = Organization{ID: id, Name: fmt.Sprint("Organization ", id)}
	}
	persons := make([]Person, len(f.Persons))
	for i, id := range f.Persons {
		persons[i] = Person{ID: id, Name: fmt.Sprint("Person ", id)}
	}
	deals := make([]Deal, len(f.Deals))
	for i, id := range f.Deals {
		deals[i] = Deal{ID: id, Title: fmt.Sprint("Deal ", id)}
	}
	drive := make([]DriveFile, len(f.DriveFiles))
	for i, df := range f.DriveFiles {
		drive[i] = DriveFile{ID: df.ID, Name: df.Name, Type: pipedrive.GoogleDoc}
	}
	return orgs, persons, deals, drive
}
