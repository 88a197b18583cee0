package pipedrivetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// fixtures is a plan's worth of items, none of them in the built-in seed.
var fixtures = pipedrivetest.Fixtures{
	Deals:         []int64{101, 102},
	Persons:       []int64{7},
	Organizations: []int64{3},
	DriveFiles:    []pipedrivetest.FixtureDriveFile{{ID: "fixtureDoc_1", Name: "Rate card"}},
}

// With fixtures, only the items and Drive files they list exist: the seed's answer 404.
func TestFixturesReplaceTheSeed(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithFixtures(fixtures))
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	for path, want := range map[string]int{
		"/deals/12/files":        http.StatusNotFound,
		"/deals/13/files":        http.StatusNotFound,
		"/persons/5/files":       http.StatusNotFound,
		"/organizations/1/files": http.StatusNotFound,
		"/deals/101/files":       http.StatusOK,
		"/deals/102/files":       http.StatusOK,
		"/persons/7/files":       http.StatusOK,
		"/organizations/3/files": http.StatusOK,
		"/organizations/7/files": http.StatusNotFound, // 7 is a person
		"/deals/103/files":       http.StatusNotFound,
		"/persons/101/files":     http.StatusNotFound,
	} {
		status, body := get(t, srv, path, "")
		assert.Equal(t, want, status, "%s: %s", path, body)
	}

	_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)})
	require.ErrorIs(t, err, pipedrive.ErrNotFound, "deal 12 is the seed's")
	_, err = c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(101)})
	require.ErrorIs(t, err, pipedrive.ErrNotFound, "so is the Drive file 123magicfile123")

	f, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "fixtureDoc_1", Item: pipedrive.Deal(101)})
	require.NoError(t, err)
	assert.Equal(t, pipedrive.RemoteFile{
		ID: 1, UserID: pipedrivetest.UserID, DealID: 101, DealName: "Deal 101",
		Name: "Rate card", FileName: "Rate card", FileType: pipedrive.GoogleDoc,
		RemoteLocation: "googledrive", RemoteID: "fixtureDoc_1",
		URL: "https://app.pipedrive.com/api/v1/files/1/download", ActiveFlag: true,
		AddTime: f.AddTime, UpdateTime: f.AddTime,
	}, *f, "a fixture deal has a made-up title and no person or organization")
	f, err = c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "Forecast", Item: pipedrive.Person(7)})
	require.NoError(t, err)
	assert.Equal(t, "Person 7", f.PersonName)
	assert.Zero(t, f.OrgID)
	f, err = c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Contract", Item: pipedrive.Organization(3)})
	require.NoError(t, err)
	assert.Equal(t, "Organization 3", f.OrgName)

	// The Add methods still add to them.
	srv.AddDeal(pipedrivetest.Deal{ID: 12, Title: "Added"})
	status, _ := get(t, srv, "/deals/12/files", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, srv.Files(), 3)
}

// Empty fixtures leave the server with nothing at all.
func TestEmptyFixtures(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithFixtures(pipedrivetest.Fixtures{}))
	defer srv.Close()
	for _, path := range []string{"/deals/12/files", "/persons/5/files", "/organizations/1/files"} {
		status, body := get(t, srv, path, "")
		assert.Equal(t, http.StatusNotFound, status, "%s: %s", path, body)
	}
}

// WithFixtures copies its argument and panics on what LoadFixtures refuses.
func TestWithFixturesChecksAndCopies(t *testing.T) {
	t.Parallel()
	f := pipedrivetest.Fixtures{Deals: []int64{101}}
	opt := pipedrivetest.WithFixtures(f)
	f.Deals[0] = 999
	srv := pipedrivetest.NewServer(opt)
	defer srv.Close()
	status, _ := get(t, srv, "/deals/101/files", "")
	assert.Equal(t, http.StatusOK, status)

	assert.PanicsWithValue(t, "pipedrivetest: WithFixtures: deals[1]: must be a positive id, got 0", func() {
		pipedrivetest.WithFixtures(pipedrivetest.Fixtures{Deals: []int64{1, 0}})
	})
	assert.PanicsWithValue(t, `pipedrivetest: WithFixtures: drive_files[0].id: must be a Google Drive file id of letters, digits, '-' and '_' (not a URL), got "a/b"`, func() {
		pipedrivetest.WithFixtures(pipedrivetest.Fixtures{DriveFiles: []pipedrivetest.FixtureDriveFile{{ID: "a/b"}}})
	})
}

func TestLoadFixtures(t *testing.T) {
	t.Parallel()
	got, err := pipedrivetest.LoadFixtures(strings.NewReader(`{
		"deals": [101, 102], "persons": [7], "organizations": [3],
		"drive_files": [{"id": "fixtureDoc_1", "name": "Rate card"}]
	}` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, fixtures, got)

	got, err = pipedrivetest.LoadFixtures(strings.NewReader(`{"deals": [5], "persons": null}`))
	require.NoError(t, err)
	assert.Equal(t, pipedrivetest.Fixtures{Deals: []int64{5}}, got, "a key left out or null means none")

	// The JSON form is Fixtures' own encoding.
	b, err := json.Marshal(fixtures)
	require.NoError(t, err)
	assert.JSONEq(t, `{"deals":[101,102],"persons":[7],"organizations":[3],"drive_files":[{"id":"fixtureDoc_1","name":"Rate card"}]}`, string(b))
}

func TestLoadFixturesIsStrict(t *testing.T) {
	t.Parallel()
	const unknown = `: unknown field: want "deals", "persons", "organizations" and "drive_files", with "id" and "name" in each drive file`
	for in, want := range map[string]string{
		"":               `empty input: want a JSON object such as {"deals": [12]}`,
		" \n":            `empty input: want a JSON object such as {"deals": [12]}`,
		`[12]`:           `want a JSON object such as {"deals": [12]}, got an array`,
		`null`:           `want a JSON object such as {"deals": [12]}, got null`,
		`{"deal": [12]}`: `"deal"` + unknown,
		`{"drive_files": [{"id": "a", "nm": 1}]}`: `"nm"` + unknown,
		`{"deals": [1, "x"]}`:                     `deals: want an array of positive integer ids, got string (at byte 17)`,
		`{"deals": [1.5]}`:                        `deals: want an array of positive integer ids, got number 1.5 (at byte 14)`,
		`{"deals": 12}`:                           `deals: want an array of positive integer ids, got number (at byte 12)`,
		`{"drive_files": ["abc"]}`:                `drive_files: want an array of {"id": ..., "name": ...} objects, got string (at byte 22)`,
		`{"drive_files": [{"id": 3}]}`:            `drive_files.id: want a string, got number (at byte 25)`,
		`{"deals": [1,]}`:                         `invalid JSON at byte 14: invalid character ']' looking for beginning of value`,
		`{"deals": [1]`:                           `the JSON object is cut short`,
		`{"deals": [1]} {}`:                       `unexpected data after the JSON object, which ends at byte 14`,
		`{"deals": [0]}`:                          `deals[0]: must be a positive id, got 0`,
		`{"organizations": [1, -3]}`:              `organizations[1]: must be a positive id, got -3`,
		`{"persons": [5, 6, 5]}`:                  `persons[2]: id 5 is listed twice (also persons[0])`,
		`{"deals": [5], "persons": [5]}`:          ``, // different kinds
		`{"drive_files": [{"name": "x"}]}`:        `drive_files[0].id: must not be empty`,
		`{"drive_files": [{"id": ""}]}`:           `drive_files[0].id: must not be empty`,
		`{"drive_files": [{"id": "https://docs.google.com/document/d/abc/edit"}]}`:     `drive_files[0].id: must be a Google Drive file id of letters, digits, '-' and '_' (not a URL), got "https://docs.google.com/document/d/abc/edit"`,
		`{"drive_files": [{"id": "a b"}]}`:                                             `drive_files[0].id: must be a Google Drive file id of letters, digits, '-' and '_' (not a URL), got "a b"`,
		`{"drive_files": [{"id": "x1"}, {"id": "x2"}, {"id": "x1", "name": "again"}]}`: `drive_files[2].id: "x1" is listed twice (also drive_files[0])`,
	} {
		got, err := pipedrivetest.LoadFixtures(strings.NewReader(in))
		if want == "" {
			assert.NoError(t, err, in)
			continue
		}
		assert.EqualError(t, err, "pipedrivetest: fixtures: "+want, in)
		assert.Equal(t, pipedrivetest.Fixtures{}, got, in)
	}

	_, err := pipedrivetest.LoadFixtures(strings.NewReader(`{"deals": [1,]}`))
	var syntaxErr *json.SyntaxError
	assert.ErrorAs(t, err, &syntaxErr, "the decoder's error is wrapped")
	broken := errors.New("disk on fire")
	_, err = pipedrivetest.LoadFixtures(iotest.ErrReader(broken))
	assert.ErrorIs(t, err, broken)
	assert.EqualError(t, err, "pipedrivetest: fixtures: reading: disk on fire")
}
