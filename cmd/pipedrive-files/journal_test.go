package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedNow is a clock for journals in tests.
func fixedNow() time.Time { return time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC) }

// testInput is an input file of the given name in /data with the usual columns.
func testInput(name string) inputID {
	return inputID{path: "/data/" + name, columns: []string{"action", "item_type", "item_id", "file_type", "title"}}
}

func testRowID(b byte, occ uint32) rowID {
	var id rowID
	id.content[0] = b
	id.occ = occ
	return id
}

func TestJournalRecordsAndReopens(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rows.csv.journal")
	j, states, err := openJournal(path, testInput("rows.csv"), fixedNow)
	require.NoError(t, err)
	assert.Empty(t, states)
	a, b, c := testRowID(1, 1), testRowID(1, 2), testRowID(2, 1)
	sent := fixedNow().Add(-time.Minute)
	require.NoError(t, j.record(a, 2, rowState{state: stateSending, since: sent}))
	require.NoError(t, j.record(a, 2, rowState{state: stateDone, how: howCreated, fileID: 7}))
	require.NoError(t, j.record(b, 3, rowState{state: stateSending, since: sent}))
	require.NoError(t, j.record(c, 4, rowState{state: stateSending, since: sent}))
	require.NoError(t, j.record(c, 4, rowState{state: stateFailed, status: 404, msg: "Deal not found"}))
	j.now = func() time.Time { return fixedNow().Add(time.Minute) }
	require.NoError(t, j.stopped())
	require.NoError(t, j.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 7)
	assert.Equal(t, `{"state":"stopped","at":"2026-11-29T22:01:00Z"}`, lines[6])
	assert.Equal(t, `{"journal":"pipedrive-files bulk","version":1,"input":"/data/rows.csv","columns":["action","item_type","item_id","file_type","title"],"created":"2026-11-29T22:00:00Z"}`, lines[0])
	assert.Equal(t, `{"row":"`+a.String()+`","line":2,"state":"sending","at":"2026-11-29T21:59:00Z"}`, lines[1])
	assert.Equal(t, `{"row":"`+a.String()+`","line":2,"state":"done","at":"2026-11-29T22:00:00Z","how":"created","file_id":7}`, lines[2])
	assert.Equal(t, `{"row":"`+c.String()+`","line":4,"state":"failed","at":"2026-11-29T22:00:00Z","status":404,"error":"Deal not found"}`, lines[5])

	j, states, err = openJournal(path, testInput("rows.csv"), fixedNow)
	require.NoError(t, err)
	defer j.Close()
	assert.Equal(t, fixedNow().Add(time.Minute), j.last, "the newest record: the stopped one, which changes no row")
	assert.Equal(t, map[rowID]rowState{
		a: {state: stateDone, how: howCreated, fileID: 7, since: sent, earlier: true},
		b: {state: stateSending, since: sent, earlier: true},
		c: {state: stateFailed, status: 404, msg: "Deal not found", since: sent, earlier: true},
	}, states)
	read, err := readJournal(path, testInput("rows.csv"))
	require.NoError(t, err)
	assert.Equal(t, states, read)
}

// A crash while writing leaves a torn last line: it is ignored, cut off, and the journal
// goes on after it.
func TestJournalTornLastLineIsIgnored(t *testing.T) {
	t.Parallel()
	a := testRowID(1, 1)
	header := `{"journal":"pipedrive-files bulk","version":1,"input":"/data/rows.csv","columns":["action","item_type","item_id","file_type","title"],"created":"2026-11-29T22:00:00Z"}` + "\n"
	sending := `{"row":"` + a.String() + `","line":2,"state":"sending","at":"2026-11-29T21:59:00Z"}` + "\n"
	for name, torn := range map[string]string{
		"no newline":             `{"row":"` + a.String() + `","line":2,"state":"do`,
		"garbage with a newline": "\x00\x00\x00\x00\n",
	} {
		path := filepath.Join(t.TempDir(), "j")
		require.NoError(t, os.WriteFile(path, []byte(header+sending+torn), 0o644))
		states, err := readJournal(path, testInput("rows.csv"))
		require.NoError(t, err, name)
		assert.Equal(t, stateSending, states[a].state, name)

		j, _, err := openJournal(path, testInput("rows.csv"), fixedNow)
		require.NoError(t, err, name)
		require.NoError(t, j.record(a, 2, rowState{state: stateDone, how: howFound, fileID: 3}))
		require.NoError(t, j.Close())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, header+sending+`{"row":"`+a.String()+`","line":2,"state":"done","at":"2026-11-29T22:00:00Z","how":"found","file_id":3}`+"\n", string(data), name)
	}

	// A torn header is an empty journal.
	path := filepath.Join(t.TempDir(), "j")
	require.NoError(t, os.WriteFile(path, []byte(`{"journal":"pipedr`), 0o644))
	j, states, err := openJournal(path, testInput("rows.csv"), fixedNow)
	require.NoError(t, err)
	require.NoError(t, j.Close())
	assert.Empty(t, states)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, header, string(data))
}

// Two runs cannot use one journal at once; the second may once the first has closed it.
func TestJournalIsLockedWhileOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rows.csv.journal")
	first, _, err := openJournal(path, testInput("rows.csv"), fixedNow)
	require.NoError(t, err)
	_, _, err = openJournal(path, testInput("rows.csv"), fixedNow)
	var je *journalError
	require.ErrorAs(t, err, &je)
	assert.Equal(t, "journal "+path+" is in use by another run of this command: wait for it to end, or give another --journal", err.Error())
	require.NoError(t, first.Close())
	second, _, err := openJournal(path, testInput("rows.csv"), fixedNow)
	require.NoError(t, err)
	require.NoError(t, second.Close())
}

func TestJournalRefusesAnotherInputOrADamagedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j")
	j, _, err := openJournal(path, testInput("a.csv"), fixedNow)
	require.NoError(t, err)
	require.NoError(t, j.record(testRowID(1, 1), 2, rowState{state: stateSending, since: fixedNow()}))
	require.NoError(t, j.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	_, _, err = openJournal(path, testInput("b.csv"), fixedNow)
	var je *journalError
	require.ErrorAs(t, err, &je)
	assert.Equal(t, "journal "+path+` was written for the input /data/a.csv (columns action,item_type,item_id,file_type,title), not /data/b.csv (columns action,item_type,item_id,file_type,title): `+
		"give another --journal, or delete it to start over (a journal follows its input when the file is edited, or moved keeping its name and columns)", err.Error())
	_, err = readJournal(path, testInput("b.csv"))
	require.ErrorAs(t, err, &je)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused journal is left as it was")

	csvPath := filepath.Join(dir, "rows.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte("action,item_type,item_id\ncreate,deal,12\n"), 0o644))
	_, _, err = openJournal(csvPath, testInput("rows.csv"), fixedNow)
	require.ErrorAs(t, err, &je)
	assert.Contains(t, err.Error(), "line 1: not a JSON line")

	damaged := filepath.Join(dir, "damaged")
	require.NoError(t, os.WriteFile(damaged, append(before[:len(before)-5:len(before)-5], "\n"+string(before[len(before)-5:])...), 0o644))
	_, err = readJournal(damaged, testInput("a.csv"))
	require.ErrorAs(t, err, &je)
	assert.Contains(t, err.Error(), "line 2: not a JSON line: invalid character")
	assert.Contains(t, err.Error(), ": it is not a journal this command wrote, or it is damaged")

	missing, err := readJournal(filepath.Join(dir, "none"), testInput("a.csv"))
	require.NoError(t, err)
	assert.Empty(t, missing)
}
