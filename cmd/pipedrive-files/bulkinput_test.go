package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
)

// readAll reads every row of a valid input.
func readAll(t *testing.T, in string) []bulk.Row {
	t.Helper()
	rr, err := newRowReader(strings.NewReader(in))
	require.NoError(t, err)
	var rows []bulk.Row
	for {
		row, err := rr.next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		require.NoError(t, err)
		rows = append(rows, row)
	}
}

func TestInputRowsAnyColumnOrderBOMAndCRLF(t *testing.T) {
	t.Parallel()
	in := "\xEF\xBB\xBFtitle,Item_Type , item_id,action,file_type,url,remote_id\r\n" +
		"Proposal,deal,12,create,gdoc,,\r\n" +
		"\r\n" +
		",,,,,,\r\n" +
		"  ,person,5,LINK,,https://docs.google.com/document/d/abc_-1/edit,\r\n" +
		"\"Budget, 2026\",organization,1,create,GSHEET,,\n" +
		",deal,13,link,,,xyz\n"
	rows := readAll(t, in)
	require.Len(t, rows, 4)
	assert.Equal(t, bulk.CreateRow(2, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)}), rows[0])
	assert.Equal(t, bulk.LinkRow(5, pipedrive.LinkRemoteFileRequest{RemoteID: "abc_-1", Item: pipedrive.Person(5)}), rows[1])
	assert.Equal(t, bulk.CreateRow(6, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "Budget, 2026", Item: pipedrive.Organization(1)}), rows[2])
	assert.Equal(t, bulk.LinkRow(7, pipedrive.LinkRemoteFileRequest{RemoteID: "xyz", Item: pipedrive.Deal(13)}), rows[3])
}

// idsOf is the RowIDs package bulk gives the rows of the input file in: what the
// journal knows them by.
func idsOf(t *testing.T, in string) []bulk.RowID {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(path, []byte(in), 0o600))
	j, err := bulk.ReadJournal(filepath.Join(t.TempDir(), "none"), bulk.Header{Input: path})
	require.NoError(t, err)
	r, err := bulk.New(nil, j, inputSource(path, "rows.csv"), bulk.Options{})
	require.NoError(t, err)
	var ids []bulk.RowID
	for res, err := range r.Results() {
		require.NoError(t, err)
		ids = append(ids, res.ID)
	}
	return ids
}

// A row's id is its content and occurrence: the same rows in another order, with rows
// added, keep their ids; a URL and the id it holds are the same content.
func TestRowIDsSurviveReorderingAndAppending(t *testing.T) {
	t.Parallel()
	const header = "action,item_type,item_id,file_type,title,remote_id,url\n"
	a := "create,deal,12,gdoc,Proposal,,\n"
	b := "link,deal,12,,,abc,\n"
	bURL := "link,deal,12,,,,https://drive.google.com/file/d/abc/view\n"
	c := "create,deal,13,gdoc,Proposal,,\n"
	first := idsOf(t, header+a+b+a+c)
	second := idsOf(t, header+c+a+"create,person,5,gdoc,New,,\n"+bURL+a)
	assert.NotEqual(t, first[0], first[2], "the second identical row")
	assert.ElementsMatch(t, first, []bulk.RowID{second[1], second[3], second[4], second[0]})
}

// Every invalid row is reported, with its line number and every rule it breaks.
func TestCheckInputReportsEveryBadRow(t *testing.T) {
	t.Parallel()
	in := "action,item_type,item_id,file_type,title,remote_id,url\n" + // 1
		"create,deal,12,gdoc,Fine,,\n" + // 2
		"create,deal,12,gdoc,   ,,\n" + // 3
		"\n" + // 4
		"create,project,0,docx,x,,\n" + // 5
		"link,person,5,,,a/b,\n" + // 6
		"link,person,5,,,,https://example.com/d/abc\n" + // 7
		"link,person,5,gdoc,T,,\n" + // 8
		"upload,deal,12,,,,\n" + // 9
		"create,deal,12\n" + // 10
		"create,deal,12,,,abc,\n" + // 11
		"link,org,1,,,abc,https://docs.google.com/document/d/abc/edit\n" + // 12
		"link,deal,13,,,123magicfile123,\n" // 13
	plan, bad, err := checkInput(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"line 3: title: must contain a visible character (white space and invisible characters such as U+200B do not count)",
		`line 5: item_type: must be "deal", "person" or "organization", got "project"; item_id: must be a positive whole number, got "0"; file_type: must be one of "gdoc", "gslides", "gsheet", "gform", "gdraw", got "docx"`,
		`line 6: remote_id: must be a Google Drive file id of letters, digits, '-' and '_', not a URL or path (it contains "/"); put the URL in the url column instead`,
		"line 7: url: is not a docs.google.com or drive.google.com URL",
		"line 8: file_type: not used by link rows (leave it empty); title: not used by link rows (leave it empty); remote_id: link rows need remote_id or url",
		`line 9: action: must be "create" or "link", got "upload"`,
		"line 10: has 3 fields, the header has 7",
		"line 11: remote_id: not used by create rows (leave it empty); file_type: required for create rows (gdoc, gsheet, gslides, gform or gdraw); title: required for create rows",
		`line 12: item_type: must be "deal", "person" or "organization", got "org"; url: give remote_id or url, not both`,
	}, bad)
	assert.Equal(t, 2, plan.rows)
	assert.Equal(t, 1, plan.counts[actionCreate][pipedrive.ItemDeal])
	assert.Equal(t, 1, plan.counts[actionLink][pipedrive.ItemDeal])
}

func TestCheckInputHeaderMistakes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"\n\naction,item_typ,titel\n":        `line 3: unknown column "item_typ" (the columns are action, item_type, item_id, file_type, title, remote_id, url); unknown column "titel" (the columns are action, item_type, item_id, file_type, title, remote_id, url); missing column "item_type"; missing column "item_id"`,
		"action,item_type,item_id,Action\n":  `line 1: column "action" appears twice`,
		"action,item_type,item_id,title,\n":  `line 1: empty column name in the header, column 5 (a trailing comma?)`,
		"action,item_type,item_id,\"title\n": `line 1: not valid CSV: extraneous or missing " in quoted-field`,
	} {
		_, bad, err := checkInput(strings.NewReader(in))
		require.NoError(t, err, in)
		assert.Equal(t, []string{want}, bad, in)
	}
}

// A quoting mistake is reported for its line and reading goes on after it.
func TestCheckInputGoesOnAfterACSVError(t *testing.T) {
	t.Parallel()
	in := "action,item_type,item_id,file_type,title\n" +
		"create,deal,12,gdoc,a \"quoted\" word\n" +
		"create,deal,12,gdoc,x\"\n" +
		"create,deal,0,gdoc,fine title\n"
	plan, bad, err := checkInput(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, bad, 3, bad)
	assert.Contains(t, bad[0], "line 2: not valid CSV: ")
	assert.Contains(t, bad[1], "line 3: not valid CSV: ")
	assert.Equal(t, `line 4: item_id: must be a positive whole number, got "0"`, bad[2])
	assert.Zero(t, plan.rows)
}
