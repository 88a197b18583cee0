package pipedrivetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// listed is a list answer as Pipedrive shapes it.
type listed struct {
	Success        bool              `json:"success"`
	Data           []json.RawMessage `json:"data"`
	AdditionalData struct {
		Pagination map[string]any `json:"pagination"`
	} `json:"additional_data"`
}

func decodeList(t *testing.T, body string) listed {
	t.Helper()
	var l listed
	require.NoError(t, json.Unmarshal([]byte(body), &l), body)
	return l
}

func TestListPaginatesAsPipedrive(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	for i := range 5 {
		_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: fmt.Sprint("Doc ", i), Item: pipedrive.Deal(12)})
		require.NoError(t, err)
	}

	status, body := get(t, srv, "/deals/12/files", "start=0&limit=2")
	require.Equal(t, http.StatusOK, status, body)
	l := decodeList(t, body)
	assert.True(t, l.Success)
	assert.Len(t, l.Data, 2)
	assert.Equal(t, map[string]any{"start": 0.0, "limit": 2.0, "more_items_in_collection": true, "next_start": 2.0}, l.AdditionalData.Pagination)

	status, body = get(t, srv, "/deals/12/files", "start=4&limit=2")
	require.Equal(t, http.StatusOK, status, body)
	l = decodeList(t, body)
	require.Len(t, l.Data, 1)
	assert.Contains(t, string(l.Data[0]), `"id":5,`)
	assert.Equal(t, map[string]any{"start": 4.0, "limit": 2.0, "more_items_in_collection": false}, l.AdditionalData.Pagination, "no next_start on the last page")

	status, body = get(t, srv, "/deals/12/files", "sort=id%20DESC&limit=1")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, string(decodeList(t, body).Data[0]), `"id":5,`)

	// Without a query: 100 per page, by id.
	status, body = get(t, srv, "/deals/12/files", "")
	require.Equal(t, http.StatusOK, status, body)
	l = decodeList(t, body)
	assert.Len(t, l.Data, 5)
	assert.Equal(t, 100.0, l.AdditionalData.Pagination["limit"])
}

func TestListOfAnItemWithoutFilesHasNullData(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	for _, path := range []string{"/deals/13/files", "/persons/6/files", "/organizations/2/files"} {
		status, body := get(t, srv, path, "")
		require.Equal(t, http.StatusOK, status, body)
		assert.JSONEq(t, `{"success":true,"data":null,"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`, body)
	}
}

func TestListChecksItsQueryAndItem(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	for _, tc := range []struct{ path, query, want string }{
		{"/deals/12/files", "limit=101", "limit - number must be at most 100"},
		{"/deals/12/files", "limit=0", "limit - number must be at least 1"},
		{"/deals/12/files", "start=-1", "start - number must be at least 0"},
		{"/deals/12/files", "sort=name", "sort - must match the pattern"},
		{"/deals/x/files", "", "id - "},
		{"/deals/0/files", "", "id - number must be at least 1"},
	} {
		status, body := get(t, srv, tc.path, tc.query)
		assert.Equal(t, http.StatusBadRequest, status, "%s?%s: %s", tc.path, tc.query, body)
		assert.Contains(t, body, tc.want, "%s?%s", tc.path, tc.query)
	}
	for path, name := range map[string]string{"/deals/999/files": "Deal", "/persons/999/files": "Person", "/organizations/999/files": "Organization"} {
		status, body := get(t, srv, path, "")
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, envelope(http.StatusNotFound, name+" not found"), body)
	}
	status, _, body := post(t, srv, "/deals/12/files", "application/x-www-form-urlencoded", "x=1", tokenHeader(srv))
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Contains(t, body, "use GET")

	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/deals/12/files", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token")
}

// A deleted file is left out of the lists, as with Pipedrive's default (its
// include_deleted_files is deprecated), and shown with active_flag false by GET
// /files/{id} and Files.
func TestListsLeaveDeletedFilesOut(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	f, err := c.Files.LinkRemote(context.Background(), linkDoc)
	require.NoError(t, err)
	require.True(t, srv.DeleteFile(f.ID))
	assert.True(t, srv.DeleteFile(f.ID), "twice changes nothing")
	assert.False(t, srv.DeleteFile(999))
	assert.False(t, srv.Files()[0].ActiveFlag)

	for _, path := range []string{"/persons/5/files", "/files"} {
		status, body := get(t, srv, path, "")
		require.Equal(t, http.StatusOK, status)
		assert.Nil(t, decodeList(t, body).Data, path)
	}
	status, body := get(t, srv, "/files/1", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"active_flag":false`)
}

func TestFailNextAfterCommit(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := srv.Client(pipedrive.WithRetry(pipedrive.NoRetry))
	ctx := context.Background()

	srv.FailNextAfterCommit(http.StatusGatewayTimeout, "<html>504 Gateway Time-out</html>")
	_, err := c.Files.LinkRemote(ctx, linkDoc)
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	require.Len(t, srv.Files(), 1, "carried out")
	assert.Equal(t, "123magicfile123", srv.Files()[0].RemoteID)

	// It applies to a GET too, which is carried out (and changes nothing).
	srv.FailNextAfterCommit(http.StatusBadGateway, "")
	for f, err := range c.Files.List(ctx, pipedrive.Person(5)) {
		assert.Nil(t, f)
		assert.ErrorIs(t, err, pipedrive.ErrServer)
	}

	// The queue is empty again, and the GET sees the linked file.
	var ids []int64
	for f, err := range c.Files.List(ctx, pipedrive.Person(5)) {
		require.NoError(t, err)
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []int64{1}, ids)

	reqs := srv.Requests()
	assert.Equal(t, []int{504, 502, 200}, statuses(srv))
	assert.Equal(t, "<html>504 Gateway Time-out</html>", reqs[0].Response)
	assert.Equal(t, http.MethodGet, reqs[1].Method)
	assert.Panics(t, func() { srv.FailNextAfterCommit(600, "") })
}

func TestFailNextAppliesToAGet(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	srv.FailNext(http.StatusServiceUnavailable, "<html>maintenance</html>")
	status, _ := getUnchecked(t, srv, "/deals/12/files")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, _ = getUnchecked(t, srv, "/deals/12/files")
	assert.Equal(t, http.StatusOK, status)
}

// getUnchecked is get without the conformance check, for scripted answers.
func getUnchecked(t *testing.T, srv *pipedrivetest.Server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	require.NoError(t, err)
	req.Header = tokenHeader(srv)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// listIDs returns the ids of the files a GET of path?query answers with.
func listIDs(t *testing.T, srv *pipedrivetest.Server, path, query string) []int64 {
	t.Helper()
	status, body := get(t, srv, path, query)
	require.Equal(t, http.StatusOK, status, body)
	var ids []int64
	for _, raw := range decodeList(t, body).Data {
		var f struct {
			ID int64 `json:"id"`
		}
		require.NoError(t, json.Unmarshal(raw, &f))
		ids = append(ids, f.ID)
	}
	return ids
}

// Each item lists its own files, in the order asked for, also when the clock goes back
// between files (update_time is then out of id order) and whatever other items hold.
func TestListOrdersEachItemsFiles(t *testing.T) {
	t.Parallel()
	var now atomic.Int64 // Unix seconds, set before each create
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(func() time.Time { return time.Unix(now.Load(), 0) }))
	defer srv.Close()
	c := client(t, srv)
	base := start.Unix()
	for _, f := range []struct {
		item pipedrive.Item
		at   int64 // seconds after base
	}{
		{pipedrive.Deal(12), 5},  // 1
		{pipedrive.Deal(13), 3},  // 2
		{pipedrive.Deal(12), 1},  // 3: the clock went back
		{pipedrive.Deal(12), 1},  // 4: same update_time as 3
		{pipedrive.Person(5), 9}, // 5
		{pipedrive.Deal(12), 7},  // 6
	} {
		now.Store(base + f.at)
		_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Doc", Item: f.item})
		require.NoError(t, err)
	}

	for query, want := range map[string][]int64{
		"":                                 {1, 3, 4, 6},
		"sort=id%20ASC":                    {1, 3, 4, 6},
		"sort=id%20DESC":                   {6, 4, 3, 1},
		"sort=update_time":                 {3, 4, 1, 6},
		"sort=update_time%20DESC":          {6, 1, 4, 3},
		"sort=update_time&start=1&limit=2": {4, 1},
		"sort=id%20DESC&start=3":           {1},
		"start=4":                          nil,
	} {
		assert.Equal(t, want, listIDs(t, srv, "/deals/12/files", query), query)
	}
	assert.Equal(t, []int64{2}, listIDs(t, srv, "/deals/13/files", ""))
	assert.Equal(t, []int64{5}, listIDs(t, srv, "/persons/5/files", ""), "files of the person's deals are listed under the deal only")
	assert.Nil(t, listIDs(t, srv, "/organizations/1/files", ""))

	assert.False(t, srv.DeleteFile(0))
	assert.False(t, srv.DeleteFile(7))
	assert.True(t, srv.DeleteFile(6))
	active := map[int64]bool{}
	for _, f := range srv.Files() {
		active[f.ID] = f.ActiveFlag
	}
	assert.Equal(t, map[int64]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: false}, active)
}
