package bulk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testHeader is the plan every journal test writes for.
var testHeader = Header{Input: "/data/rows.csv", Columns: []string{"action", "item_type", "item_id", "file_type", "title"}}

// headerLine is the first line of a journal for testHeader started at start.
const headerLine = `{"journal":"pipedrive-files bulk","version":1,"input":"/data/rows.csv","columns":["action","item_type","item_id","file_type","title"],"created":"2026-11-29T21:59:00Z"}` + "\n"

func testRowID(b byte, occ uint32) RowID {
	var id RowID
	for i := range id.content {
		id.content[i] = b
	}
	id.occ = occ
	return id
}

// load reads what the journal at path records: the newest record's time and each row's
// records in order.
func load(t *testing.T, j Journal) (time.Time, []Record) {
	t.Helper()
	var recs []Record
	last, err := j.Load(func(r Record) { recs = append(recs, r) })
	require.NoError(t, err)
	return last, recs
}

func openLoaded(t *testing.T, path string, h Header) *FileJournal {
	t.Helper()
	j, err := OpenJournal(path, h)
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	load(t, j)
	return j
}

// The journal's lines are today's format, byte for byte, so that journals written by
// earlier versions of the CLI are read and go on.
func TestJournalRecordsAndReopens(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rows.csv.journal")
	j := openLoaded(t, path, testHeader)
	a, b, c := testRowID(1, 1), testRowID(1, 2), testRowID(2, 1)
	sent, now := start.Add(-time.Minute), start
	recs := []Record{
		{Row: a, Line: 2, Status: Sending, At: sent},
		{Row: a, Line: 2, Status: Done, At: now, How: Created, FileID: 7},
		{Row: b, Line: 3, Status: Sending, At: sent},
		{Row: c, Line: 4, Status: Sending, At: sent},
		{Row: c, Line: 4, Status: Failed, At: now, HTTP: 404, Err: "Deal not found"},
	}
	for _, r := range recs {
		require.NoError(t, j.Append(r))
	}
	require.NoError(t, j.End(start.Add(time.Minute)))
	require.NoError(t, j.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, headerLine+
		`{"row":"`+a.String()+`","line":2,"state":"sending","at":"2026-11-29T21:59:00Z"}`+"\n"+
		`{"row":"`+a.String()+`","line":2,"state":"done","at":"2026-11-29T22:00:00Z","how":"created","file_id":7}`+"\n"+
		`{"row":"`+b.String()+`","line":3,"state":"sending","at":"2026-11-29T21:59:00Z"}`+"\n"+
		`{"row":"`+c.String()+`","line":4,"state":"sending","at":"2026-11-29T21:59:00Z"}`+"\n"+
		`{"row":"`+c.String()+`","line":4,"state":"failed","at":"2026-11-29T22:00:00Z","status":404,"error":"Deal not found"}`+"\n"+
		`{"state":"stopped","at":"2026-11-29T22:01:00Z"}`+"\n", string(data))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "readable by its owner only")

	j, err = OpenJournal(path, testHeader)
	require.NoError(t, err)
	defer j.Close()
	last, got := load(t, j)
	assert.Equal(t, start.Add(time.Minute), last, "the newest record: the end, which changes no row")
	assert.Equal(t, recs, got)

	ro, err := ReadJournal(path, testHeader)
	require.NoError(t, err, "readable while another holds it")
	defer ro.Close()
	_, read := load(t, ro)
	assert.Equal(t, recs, read)
	assert.ErrorIs(t, ro.Append(recs[0]), ErrReadOnly)
}

// A crash while writing leaves a last line with no newline: it is left out, cut off
// before the next record, and the journal goes on after it.
func TestJournalTornLastLineIsIgnored(t *testing.T) {
	t.Parallel()
	a := testRowID(1, 1)
	sending := `{"row":"` + a.String() + `","line":2,"state":"sending","at":"2026-11-29T21:59:00Z"}` + "\n"
	path := filepath.Join(t.TempDir(), "j")
	require.NoError(t, os.WriteFile(path, []byte(headerLine+sending+`{"row":"`+a.String()+`","line":2,"state":"do`), 0o600))
	j := openLoaded(t, path, testHeader)
	require.NoError(t, j.Append(Record{Row: a, Line: 2, Status: Done, At: start, How: Found, FileID: 3}))
	require.NoError(t, j.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, headerLine+sending+`{"row":"`+a.String()+`","line":2,"state":"done","at":"2026-11-29T22:00:00Z","how":"found","file_id":3}`+"\n", string(data))

	// A torn header, or an empty file, is a new journal.
	for _, content := range []string{`{"journal":"pipedr`, ""} {
		path := filepath.Join(t.TempDir(), "j")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		j := openLoaded(t, path, testHeader)
		require.NoError(t, j.End(start.Add(-time.Minute)))
		require.NoError(t, j.Close())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, headerLine+`{"state":"stopped","at":"2026-11-29T21:59:00Z"}`+"\n", string(data), "%q", content)
	}
}

// Two runs cannot use one journal at once; the second may once the first has closed it.
func TestJournalIsLockedWhileOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rows.csv.journal")
	first, err := OpenJournal(path, testHeader)
	require.NoError(t, err)
	_, err = OpenJournal(path, testHeader)
	require.ErrorIs(t, err, ErrJournalInUse)
	assert.NotContains(t, err.Error(), "another journal", "never advise another journal for the same plan")
	require.NoError(t, first.Close())
	second, err := OpenJournal(path, testHeader)
	require.NoError(t, err)
	require.NoError(t, second.Close())
}

// A journal that is damaged, is not a journal, or is another plan's is refused and left
// byte for byte as it was.
func TestJournalRefusals(t *testing.T) {
	t.Parallel()
	a := testRowID(1, 1)
	sending := `{"row":"` + a.String() + `","line":2,"state":"sending","at":"2026-11-29T21:59:00Z"}` + "\n"
	for name, tc := range map[string]struct {
		content string
		header  Header
		want    error
		msg     string
	}{
		"another plan":      {headerLine + sending, Header{Input: "/data/other.csv"}, ErrOtherPlan, "was written for /data/rows.csv"},
		"a CSV":             {"action,item_type,item_id\ncreate,deal,12\n", testHeader, ErrNotJournal, "is not a journal's header"},
		"a note":            {"remember to run this on Monday", testHeader, ErrNotJournal, "is not a journal's header"},
		"a later version":   {strings.Replace(headerLine, `"version":1`, `"version":2`, 1), testHeader, ErrNotJournal, "version 2"},
		"a complete note":   {headerLine + sending + "checked by Ann\n", testHeader, ErrJournalDamaged, "line 3"},
		"garbage, complete": {headerLine + sending + "\x00\x00\x00\x00\n", testHeader, ErrJournalDamaged, "line 3"},
		"a bad line inside": {headerLine + "{}\n" + sending, testHeader, ErrJournalDamaged, "line 2"},
		"an unknown state":  {headerLine + strings.Replace(sending, "sending", "maybe", 1), testHeader, ErrJournalDamaged, `unknown state "maybe"`},
		"a bad row id":      {headerLine + strings.Replace(sending, ".1\"", ".0\"", 1), testHeader, ErrJournalDamaged, "occurrence number starts at 1"},
		"done, no file id":  {headerLine + `{"row":"` + a.String() + `","state":"done","at":"2026-11-29T21:59:00Z","how":"created"}` + "\n", testHeader, ErrJournalDamaged, "file id"},
	} {
		path := filepath.Join(t.TempDir(), "j")
		require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
		for _, open := range []func(string, Header) (*FileJournal, error){OpenJournal, ReadJournal} {
			j, err := open(path, tc.header)
			if err == nil {
				_, err = j.Load(func(Record) {})
				require.Error(t, j.Append(Record{Row: a, Status: Done, At: start, How: Found, FileID: 3}), name)
				require.NoError(t, j.Close())
			}
			require.ErrorIs(t, err, tc.want, name)
			assert.Contains(t, err.Error(), tc.msg, name)
			data, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, tc.content, string(data), "%s: left byte for byte as it was", name)
		}
	}

	dir := t.TempDir()
	_, err := OpenJournal(dir, testHeader)
	assert.ErrorContains(t, err, "is a directory")
	_, err = ReadJournal(dir, testHeader)
	assert.ErrorIs(t, err, ErrNotJournal, "a directory")
	missing, err := ReadJournal(filepath.Join(dir, "none"), testHeader)
	require.NoError(t, err)
	_, recs := load(t, missing)
	assert.Empty(t, recs)
	_, err = os.Stat(filepath.Join(dir, "none"))
	assert.ErrorIs(t, err, os.ErrNotExist, "ReadJournal creates nothing")
}

// A journal follows its input when the file is moved keeping its name and columns.
func TestJournalHeaderMatching(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j := openLoaded(t, path, testHeader)
	require.NoError(t, j.End(start))
	require.NoError(t, j.Close())
	for h, ok := range map[*Header]bool{
		{Input: "/elsewhere/rows.csv", Columns: []string{"title", "file_type", "item_id", "item_type", "action"}}: true,
		{Input: "/elsewhere/rows.csv", Columns: []string{"action", "item_type", "item_id"}}:                       false,
		{Input: "/data/other.csv", Columns: testHeader.Columns}:                                                   false,
	} {
		j, err := OpenJournal(path, *h)
		if ok {
			require.NoError(t, err, h)
			require.NoError(t, j.Close())
		} else {
			require.ErrorIs(t, err, ErrOtherPlan, h)
		}
	}
}

func TestRowIDText(t *testing.T) {
	t.Parallel()
	id := testRowID(0xab, 3)
	text, err := id.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("ab", 16)+".3", string(text))
	var back RowID
	require.NoError(t, back.UnmarshalText(text))
	assert.Equal(t, id, back)
	for _, bad := range []string{"", "ab.1", strings.Repeat("ab", 16) + ".0", strings.Repeat("zz", 16) + ".1", strings.Repeat("ab", 16) + ".x"} {
		assert.Error(t, back.UnmarshalText([]byte(bad)), bad)
	}
}

// Input locks: a second run of the same input is refused, whatever its journal.
func TestLockInput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.csv")
	require.NoError(t, os.WriteFile(path, []byte("action\n"), 0o644))
	unlock, err := LockInput(path)
	require.NoError(t, err)
	_, err = LockInput(path)
	require.ErrorIs(t, err, ErrInputInUse)
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the lock does not stop reading")
	assert.Equal(t, "action\n", string(data))
	require.NoError(t, unlock())
	unlock, err = LockInput(path)
	require.NoError(t, err)
	require.NoError(t, unlock())
}
