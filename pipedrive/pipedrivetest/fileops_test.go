package pipedrivetest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// send makes a raw request of any method, authenticated, and validates the answer.
func send(t testing.TB, srv *pipedrivetest.Server, method, path, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = tokenHeader(srv)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return exchange(t, req)
}

// GET /files lists every file of the company, from every item, in pages, deleted ones
// left out; the company's list and the item's agree.
func TestListAllFromTheServersState(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := client(t, srv, pipedrive.WithClock(clk))
	ctx := context.Background()
	items := []pipedrive.Item{pipedrive.Deal(12), pipedrive.Person(6), pipedrive.Organization(2)}
	for i := range 230 {
		_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Doc", Item: items[i%3]})
		require.NoError(t, err)
	}
	for _, id := range []int64{1, 100, 101, 229} {
		require.NoError(t, c.Files.Delete(ctx, id))
	}

	var ids []int64
	for f, err := range c.Files.ListAll(ctx) {
		require.NoError(t, err)
		require.True(t, f.ActiveFlag)
		ids = append(ids, f.ID)
	}
	require.Len(t, ids, 226)
	assert.Equal(t, int64(2), ids[0])
	assert.Equal(t, int64(230), ids[225])
	assert.NotContains(t, ids, int64(100))
	assert.NotContains(t, ids, int64(229))
	var starts []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/v1/files" {
			starts = append(starts, r.Query.Get("start"))
			assert.Equal(t, "100", r.Query.Get("limit"))
			assert.Equal(t, "id ASC", r.Query.Get("sort"))
		}
	}
	assert.Equal(t, []string{"0", "100", "200"}, starts)

	var dealIDs []int64
	for f, err := range c.Files.List(ctx, pipedrive.Deal(12)) {
		require.NoError(t, err)
		dealIDs = append(dealIDs, f.ID)
	}
	require.Len(t, dealIDs, 74, "77 on the deal, 1, 100 and 229 deleted")
	assert.Equal(t, int64(4), dealIDs[0])
}

// Every sort Pipedrive documents is accepted (never stricter than Pipedrive), on GET
// /files and an item's list alike; a sort it does not document is a 400 naming sort.
func TestListSortsAsDocumented(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := client(t, srv, pipedrive.WithClock(clk))
	ctx := context.Background()
	for _, title := range []string{"B", "A", "C"} { // files 1, 2, 3 on deal 12
		_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: title, Item: pipedrive.Deal(12)})
		require.NoError(t, err)
		clk.Advance(time.Minute)
	}
	_, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)}) // file 4
	require.NoError(t, err)
	clk.Advance(time.Minute)
	_, err = c.Files.Update(ctx, 1, pipedrive.FileUpdate{Description: new("now the latest")}) // file 1's update_time moves last
	require.NoError(t, err)

	for sort, want := range map[string][]int64{
		"":                         {1, 2, 3, 4},
		"id":                       {1, 2, 3, 4},
		"id DESC":                  {4, 3, 2, 1},
		"update_time":              {2, 3, 4, 1},
		"update_time DESC":         {1, 4, 3, 2},
		"add_time DESC":            {4, 3, 2, 1},
		"file_name DESC, id ASC":   {4, 1, 2, 3}, // only the linked file has a file_name
		"person_id, id DESC":       {4, 3, 2, 1}, // all have person 5, so by id descending
		"deal_id DESC,update_time": {2, 3, 1, 4}, // deal 12 first (the person's file has none)
		"comment DESC":             {1, 4, 3, 2}, // ties reversed with the last key's DESC
		"user_id asc":              {1, 2, 3, 4},
		"org_id, product_id, file_type, file_size": {1, 2, 3, 4},
	} {
		status, body := get(t, srv, "/files", "sort="+strings.ReplaceAll(sort, " ", "%20"))
		require.Equal(t, http.StatusOK, status, sort+": "+body)
		assert.Equal(t, want, ids(t, body), "GET /files sort=%q", sort)
	}
	status, body := get(t, srv, "/deals/12/files", "sort=update_time%20DESC&start=1&limit=1")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []int64{3}, ids(t, body))
	assert.Contains(t, body, `"more_items_in_collection":true,"next_start":2`)

	status, body = get(t, srv, "/files", "sort=name")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, `"error":"Invalid input: sort - must match the pattern`)
}

// ids are the ids of a list answer's files, in order.
func ids(t *testing.T, body string) []int64 {
	t.Helper()
	var out []int64
	for _, raw := range decodeList(t, body).Data {
		var f pipedrive.File
		require.NoError(t, f.UnmarshalJSON(raw))
		out = append(out, f.ID)
	}
	return out
}

// GET, PUT and DELETE of one file work on the server's state: a rename shows everywhere,
// update_time moves, a deleted file is still found (active_flag false) and is gone for
// good 30 days later.
func TestOneFileFromTheServersState(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := client(t, srv, pipedrive.WithClock(clk))
	ctx := context.Background()
	created, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "Budget", Item: pipedrive.Deal(12)})
	require.NoError(t, err)

	got, err := c.Files.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created, got)

	clk.Advance(time.Hour)
	renamed, err := c.Files.Update(ctx, created.ID, pipedrive.FileUpdate{Name: new("Budget 2026"), Description: new("Draft\nv1")})
	require.NoError(t, err)
	assert.Equal(t, "Budget 2026", renamed.Name)
	assert.Equal(t, "Draft\nv1", renamed.Description)
	assert.Equal(t, start.Add(time.Hour), renamed.UpdateTime)
	assert.Equal(t, start, renamed.AddTime)
	assert.Empty(t, renamed.FileName, "the visible name changes, not the file name")
	described, err := c.Files.Update(ctx, created.ID, pipedrive.FileUpdate{Description: new("")})
	require.NoError(t, err)
	assert.Equal(t, "Budget 2026", described.Name, "a field not sent is left as it is")
	assert.Empty(t, described.Description, "an empty field clears it")
	for f, err := range c.Files.List(ctx, pipedrive.Deal(12)) {
		require.NoError(t, err)
		assert.Equal(t, "Budget 2026", f.Name)
	}
	assert.Equal(t, "Budget 2026", srv.Files()[0].Name)

	clk.Advance(time.Hour)
	require.NoError(t, c.Files.Delete(ctx, created.ID))
	deleted, err := c.Files.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.False(t, deleted.ActiveFlag)
	assert.Equal(t, start.Add(2*time.Hour), deleted.UpdateTime)
	require.NoError(t, c.Files.Delete(ctx, created.ID), "a second DELETE is answered 200 too")
	status, _, body := send(t, srv, http.MethodDelete, "/files/1", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, `{"success":true,"data":{"id":1}}`, body)

	clk.Advance(30*24*time.Hour - time.Second)
	_, err = c.Files.Get(ctx, created.ID)
	require.NoError(t, err, "not yet gone for good")
	clk.Advance(time.Second)
	_, err = c.Files.Get(ctx, created.ID)
	require.ErrorIs(t, err, pipedrive.ErrNotFound)
	_, err = c.Files.Update(ctx, created.ID, pipedrive.FileUpdate{Name: new("x")})
	require.ErrorIs(t, err, pipedrive.ErrNotFound)
	require.ErrorIs(t, c.Files.Delete(ctx, created.ID), pipedrive.ErrNotFound)
	assert.False(t, srv.DeleteFile(created.ID))
	assert.Len(t, srv.Files(), 1, "Files keeps it")
}

// Raw PUTs and DELETEs are validated against the spec like the POSTs: the three body
// types, fields the spec does not have, the id, methods and unknown files.
func TestOneFileRequestsAreValidated(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	_, err := srv.Client().Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		msg                                   string // the error, or a part of the success body
	}{
		{"form", http.MethodPut, "/files/1", form, "name=Price+list+2026", http.StatusOK, `"name":"Price list 2026"`},
		{"JSON", http.MethodPut, "/files/1", "application/json", `{"description":"From JSON","name":null}`, http.StatusOK, `"description":"From JSON"`},
		{"multipart", http.MethodPut, "/files/1", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nFrom multipart\r\n--b--\r\n", http.StatusOK, `"name":"From multipart"`},
		{"no body changes nothing", http.MethodPut, "/files/1", "", "", http.StatusOK, `"name":"From multipart"`},
		{"empty name is Pipedrive's to refuse", http.MethodPut, "/files/1", form, "name=", http.StatusOK, `"name":""`},
		{"unexpected field", http.MethodPut, "/files/1", form, "title=x", http.StatusBadRequest, "Invalid input: title - This field was not expected."},
		{"field twice", http.MethodPut, "/files/1", form, "name=a&name=b", http.StatusBadRequest, "Invalid input: name - This field was given more than once."},
		{"text body", http.MethodPut, "/files/1", "text/plain", "name=x", http.StatusBadRequest,
			`Unsupported content type "text/plain": send the body as application/x-www-form-urlencoded, application/json or multipart/form-data`},
		{"id not a number", http.MethodPut, "/files/abc", form, "name=x", http.StatusBadRequest, "Invalid input: id - value abc: an invalid integer: invalid syntax"},
		{"id zero", http.MethodDelete, "/files/0", "", "", http.StatusBadRequest, "Invalid input: id - number must be at least 1"},
		{"unknown file", http.MethodDelete, "/files/99", "", "", http.StatusNotFound, "File not found"},
		{"unknown file, GET", http.MethodGet, "/files/99", "", "", http.StatusNotFound, "File not found"},
		{"POST to a file", http.MethodPost, "/files/1", form, "name=x", http.StatusMethodNotAllowed, "Method POST is not allowed here: use GET, PUT, DELETE"},
		{"PUT to the list", http.MethodPut, "/files", form, "name=x", http.StatusMethodNotAllowed, "Method PUT is not allowed here: use GET"},
		{"GET of a POST path", http.MethodGet, "/files/remote", "", "", http.StatusMethodNotAllowed, "Method GET is not allowed here: use POST"},
	} {
		status, _, body := send(t, srv, tc.method, tc.path, tc.contentType, tc.body)
		assert.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.status == http.StatusOK {
			assert.Contains(t, body, tc.msg, tc.name)
		} else {
			assert.Equal(t, envelope(tc.status, tc.msg), body, tc.name)
		}
	}
	f := srv.Files()[0]
	assert.Equal(t, "", f.Name)
	assert.Equal(t, "From JSON", f.Description)
	assert.Equal(t, "Price list", f.FileName)
}

// Each operation costs its documented tokens (x-token-cost), and x-daily-requests-left
// comes with the answers to POST and PUT only.
func TestEachOperationCostsItsTokens(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithDailyBudget(1000))
	defer srv.Close()
	_, err := srv.Client().Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)})
	require.NoError(t, err) // 10: 990 left
	for _, step := range []struct {
		method, path, contentType, body string
		left, requestsLeft              string
	}{
		{http.MethodGet, "/files", "", "", "970", ""},
		{http.MethodGet, "/files/1", "", "", "968", ""},
		{http.MethodPut, "/files/1", "application/x-www-form-urlencoded", "name=x", "958", "96"},
		{http.MethodDelete, "/files/1", "", "", "952", ""},
		{http.MethodGet, "/deals/12/files", "", "", "932", ""},
		{http.MethodPost, "/files/remoteLink", "application/x-www-form-urlencoded", "item_id=12&item_type=deal&remote_id=123magicfile123&remote_location=googledrive", "922", "93"},
	} {
		status, h, body := send(t, srv, step.method, step.path, step.contentType, step.body)
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, step.left, h.Get("X-Daily-Ratelimit-Token-Remaining"), step.method+" "+step.path)
		assert.Equal(t, step.requestsLeft, h.Get("X-Daily-Requests-Left"), step.method+" "+step.path)
		assert.NotEmpty(t, h.Get("X-Ratelimit-Remaining"), "every answer carries the burst headers")
	}
}
