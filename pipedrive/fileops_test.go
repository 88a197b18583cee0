package pipedrive_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// requireBareRequest checks a request without a body (GET, DELETE) in x-api-token mode.
func requireBareRequest(t *testing.T, got capturedRequest, method, path, query string) {
	t.Helper()
	assert.Equal(t, method, got.Method)
	assert.Equal(t, testAPIPath+path, got.Path)
	assert.Equal(t, query, got.RawQuery)
	assert.Equal(t, []string{testToken}, got.Header.Values("X-Api-Token"))
	assert.Empty(t, got.Header.Values("Authorization"))
	assert.Equal(t, []string{wantUserAgent}, got.Header.Values("User-Agent"))
	assert.Equal(t, []string{"application/json"}, got.Header.Values("Accept"))
	assert.Empty(t, got.Header.Values("Content-Type"))
	assert.Empty(t, got.Body)
	assert.Zero(t, got.ContentLength)
}

// fileJSON is a success answer holding one file: a Drive file with Pipedrive's example
// values and the given id, name and description.
func fileJSON(id int64, name, description string) string {
	return `{"success":true,"data":{"id":` + strconv.FormatInt(id, 10) + `,"user_id":456,"deal_id":12,"add_time":"2020-02-21 11:52:28",` +
		`"update_time":"2026-11-27 12:00:00","file_type":"gdoc","active_flag":true,"remote_location":"googledrive",` +
		`"remote_id":"1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c","name":` + jsonString(name) + `,"description":` + jsonString(description) + `}}`
}

// uploadedJPG is a file from Pipedrive's own example of an item's files: an uploaded
// image, with remote_location "s3" and a remote_id of its own, here made equal to
// remoteID to show that a remote_id alone never makes a Drive file.
func uploadedJPG(id int, remoteID string) string {
	return `{"id":` + strconv.Itoa(id) + `,"active_flag":true,"file_type":"img","file_name":"95781006_n.jpg","name":"95781006_n.jpg",` +
		`"remote_location":"s3","remote_id":` + jsonString(remoteID) + `,"s3_bucket":"pipedrive-files"}`
}

func TestGetOnTheWire(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, fileJSON(7195, "Proposal", "Signed copy")))
	f, err := newClient(t, api.baseURL()).Files.Get(t.Context(), 7195)
	require.NoError(t, err)
	requireBareRequest(t, api.onlyRequest(t), http.MethodGet, "/files/7195", "")
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, "Proposal", f.Name)
	assert.Equal(t, "Signed copy", f.Description)
	assert.True(t, f.IsDriveFile())
	assert.Equal(t, "2026-11-27 12:00:00", f.UpdateTime.Format("2006-01-02 15:04:05"))
}

// An upload comes back as a File too: remote_location "s3", a remote_id of its own, and
// IsDriveFile false.
func TestGetAnUpload(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, `{"success":true,"data":`+uploadedJPG(3, "95781006_4fd1c30b0a.jpg")+`}`))
	f, err := newClient(t, api.baseURL()).Files.Get(t.Context(), 3)
	require.NoError(t, err)
	assert.Equal(t, "s3", f.RemoteLocation)
	assert.Equal(t, "95781006_4fd1c30b0a.jpg", f.RemoteID)
	assert.False(t, f.IsDriveFile())
	var rf *pipedrive.RemoteFile = f // the old name is the same type
	assert.Equal(t, f, rf)
}

func TestUpdateOnTheWire(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		update pipedrive.FileUpdate
		body   string
	}{
		"name only":         {pipedrive.FileUpdate{Name: new("Proposal v2")}, "name=Proposal+v2"},
		"clear description": {pipedrive.FileUpdate{Description: new("")}, "description="},
		"both, escaped":     {pipedrive.FileUpdate{Name: new("Q3 & Q4 wörk"), Description: new("line 1\nline 2\ttab")}, "description=line+1%0Aline+2%09tab&name=Q3+%26+Q4+w%C3%B6rk"},
		"name spaces kept":  {pipedrive.FileUpdate{Name: new("  a=b+c ")}, "name=++a%3Db%2Bc+"},
		"description crlf":  {pipedrive.FileUpdate{Description: new("a\r\nb")}, "description=a%0D%0Ab"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, fileJSON(42, "whatever Pipedrive has", "")))
			f, err := newClient(t, api.baseURL()).Files.Update(t.Context(), 42, tc.update)
			require.NoError(t, err)
			assert.Equal(t, int64(42), f.ID)
			got := api.onlyRequest(t)
			assert.Equal(t, http.MethodPut, got.Method)
			assert.Equal(t, testAPIPath+"/files/42", got.Path)
			assert.Empty(t, got.RawQuery)
			assert.Equal(t, []string{"application/x-www-form-urlencoded"}, got.Header.Values("Content-Type"))
			assert.Equal(t, []string{testToken}, got.Header.Values("X-Api-Token"))
			assert.Equal(t, []string{wantUserAgent}, got.Header.Values("User-Agent"))
			assert.Equal(t, []string{"application/json"}, got.Header.Values("Accept"))
			assert.Equal(t, tc.body, string(got.Body))
			assert.Equal(t, int64(len(tc.body)), got.ContentLength)
		})
	}
}

func TestDeleteOnTheWire(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"as documented": `{"success":true,"data":{"id":7}}`,
		"data null":     `{"success":true,"data":null}`,
		"no data":       `{"success":true}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, body))
			require.NoError(t, newClient(t, api.baseURL()).Files.Delete(t.Context(), 7))
			requireBareRequest(t, api.onlyRequest(t), http.MethodDelete, "/files/7", "")
		})
	}
}

// An answer about another file than the one asked about is an error, not that file.
func TestAnswersAboutAnotherFile(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, fileJSON(8, "other", "")))
	c := newClient(t, api.baseURL())
	_, err := c.Files.Get(t.Context(), 7)
	require.EqualError(t, err, `pipedrive: GET /files/{id}: 200 OK: unexpected response: "data.id" is 8, not the file asked about (7)`)
	requireSentinels(t, err) // a read: its outcome is known

	_, err = c.Files.Update(t.Context(), 7, pipedrive.FileUpdate{Name: new("x")})
	require.EqualError(t, err, `pipedrive: PUT /files/{id}: 200 OK: unexpected response: "data.id" is 8, not the file asked about (7)`)
	requireSentinels(t, err, "ErrOutcomeUnknown")

	deleted := newFakeAPI(t, replyJSON(200, `{"success":true,"data":{"id":8}}`))
	err = newClient(t, deleted.baseURL()).Files.Delete(t.Context(), 7)
	require.EqualError(t, err, `pipedrive: DELETE /files/{id}: 200 OK: unexpected response: "data.id" is 8, not the file asked about (7)`)
	requireSentinels(t, err, "ErrOutcomeUnknown")
}

// An id below 1 and an update that sets nothing or breaks a rule are refused before
// anything is sent.
func TestFileOperationsValidation(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, fileJSON(1, "x", "")))
	c := newClient(t, api.baseURL())
	ctx := t.Context()
	name := pipedrive.FileUpdate{Name: new("ok")}
	for _, id := range []int64{0, -1, -9223372036854775808} {
		_, err := c.Files.Get(ctx, id)
		requireValidation(t, err, "ID", "must be a positive file id, got "+strconv.FormatInt(id, 10))
		_, err = c.Files.Update(ctx, id, name)
		requireValidation(t, err, "ID", "must be a positive file id, got "+strconv.FormatInt(id, 10))
		requireValidation(t, c.Files.Delete(ctx, id), "ID", "must be a positive file id, got "+strconv.FormatInt(id, 10))
	}
	for update, want := range map[*pipedrive.FileUpdate][2]string{
		{}:                             {"FileUpdate", "sets nothing: set Name, Description or both (a nil field is left unchanged)"},
		{Name: new("")}:                {"Name", "must contain a visible character (white space and invisible characters such as U+200B do not count)"},
		{Name: new(" \u200b ")}:        {"Name", "must contain a visible character (white space and invisible characters such as U+200B do not count)"},
		{Name: new("a\nb")}:            {"Name", "must not contain control characters (C0 except tab, DEL, C1), found U+000A at byte 1"},
		{Name: new("\xff")}:            {"Name", "must be valid UTF-8"},
		{Description: new("ok\x00")}:   {"Description", "must not contain control characters other than tab, line feed and carriage return, found U+0000 at byte 2"},
		{Description: new("\x85")}:     {"Description", "must be valid UTF-8"},
		{Description: new("a\u0085b")}: {"Description", "must not contain control characters other than tab, line feed and carriage return, found U+0085 at byte 1"},
		{Name: new("x"), Description: new("\x7f")}: {"Description", "must not contain control characters other than tab, line feed and carriage return, found U+007F at byte 0"},
	} {
		_, err := c.Files.Update(ctx, 1, *update)
		requireValidation(t, err, want[0], want[1])
		require.Equal(t, err.Error(), update.Validate().Error(), "Validate gives the same error")
	}
	require.NoError(t, pipedrive.FileUpdate{Description: new("")}.Validate(), "clearing the description is allowed")
	assert.Zero(t, api.count(), "nothing sent")
}

// requireValidation asserts a *ValidationError for field with reason, matching
// ErrInvalidRequest and nothing else.
func requireValidation(t *testing.T, err error, field, reason string) {
	t.Helper()
	var ve *pipedrive.ValidationError
	require.True(t, errors.As(err, &ve), "%v is a *ValidationError", err)
	assert.Equal(t, field, ve.Field)
	assert.Equal(t, reason, ve.Reason)
	requireSentinels(t, err, "ErrInvalidRequest")
}

// A 404 matches ErrNotFound for each operation, and Pipedrive's integer errorCode is kept.
func TestFileOperationsNotFound(t *testing.T) {
	t.Parallel()
	body := `{"success":false,"error":"File not found","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","errorCode":404,"data":null,"additional_data":null}`
	api := newFakeAPI(t, replyJSON(404, body))
	c := newClient(t, api.baseURL())
	ctx := t.Context()
	_, getErr := c.Files.Get(ctx, 9)
	_, updErr := c.Files.Update(ctx, 9, pipedrive.FileUpdate{Name: new("x")})
	delErr := c.Files.Delete(ctx, 9)
	for op, err := range map[string]error{"GET": getErr, "PUT": updErr, "DELETE": delErr} {
		require.EqualError(t, err, "pipedrive: "+op+" /files/{id}: 404 Not Found: File not found")
		requireSentinels(t, err, "ErrNotFound")
		var apiErr *pipedrive.APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Equal(t, 404, apiErr.ErrorCode)
		assert.Equal(t, "File not found", apiErr.Message)
	}
	assert.Equal(t, int64(3), api.count())
}

// errorCode of another type is left 0 without losing the message.
func TestErrorCodeReadLeniently(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(403, `{"success":false,"error":"Scope and URL mismatch","errorCode":"403","code":"forbidden"}`))
	_, err := newClient(t, api.baseURL()).Files.Get(t.Context(), 1)
	var apiErr *pipedrive.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "Scope and URL mismatch", apiErr.Message)
	assert.Equal(t, "forbidden", apiErr.Code)
	assert.Zero(t, apiErr.ErrorCode)
	requireSentinels(t, err, "ErrForbidden")
}

// PUT and DELETE are idempotent, so a 5xx or a lost answer is retried, the same request
// each time; when the retries run out the error matches ErrOutcomeUnknown (the change may
// have been made). A GET's never does.
func TestUpdateAndDeleteAreRetried(t *testing.T) {
	t.Parallel()
	unavailable := replyJSON(503, errorEnvelope("Service under maintenance", ""))
	t.Run("update after a 502", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		api := newFakeAPI(t, inTurn(replyRaw(502, "text/html", "<html>502 Bad Gateway</html>"), replyJSON(200, fileJSON(5, "Renamed", ""))))
		f, err := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk)).Files.Update(t.Context(), 5, pipedrive.FileUpdate{Name: new("Renamed")})
		require.NoError(t, err)
		assert.Equal(t, "Renamed", f.Name)
		reqs := api.requests()
		require.Len(t, reqs, 2)
		for _, r := range reqs {
			assert.Equal(t, http.MethodPut, r.Method)
			assert.Equal(t, "name=Renamed", string(r.Body), "the same body each time")
		}
		assert.Len(t, clk.Sleeps(), 1, "one backoff")
	})
	t.Run("delete after a lost answer", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, replyJSON(200, `{"success":true,"data":{"id":5}}`))
		c := newClient(t, api.baseURL(), retries, pipedrive.WithHTTPClient(losingAnswers(t, 1)))
		require.NoError(t, c.Files.Delete(t.Context(), 5))
		assert.Equal(t, int64(2), api.count(), "sent again after the timeout")
	})
	t.Run("retries run out", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, unavailable)
		c := newClient(t, api.baseURL(), retries)
		_, err := c.Files.Update(t.Context(), 5, pipedrive.FileUpdate{Description: new("")})
		requireSentinels(t, err, "ErrServer", "ErrOutcomeUnknown")
		requireSentinels(t, c.Files.Delete(t.Context(), 5), "ErrServer", "ErrOutcomeUnknown")
		_, err = c.Files.Get(t.Context(), 5)
		requireSentinels(t, err, "ErrServer")
		assert.Equal(t, int64(12), api.count(), "1 + 3 retries each")
	})
	t.Run("a POST is still not retried", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, unavailable)
		_, err := newClient(t, api.baseURL(), retries).Files.CreateRemote(t.Context(), validCreate())
		requireSentinels(t, err, "ErrServer", "ErrOutcomeUnknown")
		assert.Equal(t, int64(1), api.count())
	})
}

// listAllPage is a page of GET /files holding the files with ids from..to, saying whether
// more follow and from where.
func listAllPage(from, to int, next int) string {
	var files []string
	for id := from; id <= to; id++ {
		files = append(files, `{"id":`+strconv.Itoa(id)+`,"active_flag":true,"remote_location":"googledrive","remote_id":"drive`+strconv.Itoa(id)+`"}`)
	}
	pg := `"more_items_in_collection":false`
	if next > 0 {
		pg = `"more_items_in_collection":true,"next_start":` + strconv.Itoa(next)
	}
	return `{"success":true,"data":[` + strings.Join(files, ",") + `],"additional_data":{"pagination":{"start":` + strconv.Itoa(from-1) + `,"limit":100,` + pg + `}}}`
}

// ListAll reads three pages, asking for 100 files in id order from each next_start; the
// wire form of each request is exact.
func TestListAllOnTheWire(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(200, listAllPage(1, 100, 100)),
		replyJSON(200, listAllPage(101, 200, 200)),
		replyJSON(200, listAllPage(201, 250, 0)),
	))
	files, errs := collect(t, newClient(t, api.baseURL()).Files.ListAll(t.Context()))
	require.Empty(t, errs)
	require.Len(t, files, 250)
	for i, f := range files {
		require.Equal(t, int64(i+1), f.ID)
	}
	reqs := api.requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		requireBareRequest(t, r, http.MethodGet, "/files", "start="+strconv.Itoa(100*i)+"&limit=100&sort=id+ASC")
	}
}

// Breaking out of the loop stops fetching: a break in the second page fetches no third.
func TestListAllStopsWhenTheLoopBreaks(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(200, listAllPage(1, 100, 100)),
		replyJSON(200, listAllPage(101, 200, 200)),
		replyJSON(200, listAllPage(201, 250, 0)),
	))
	var seen int
	for f, err := range newClient(t, api.baseURL()).Files.ListAll(t.Context()) {
		require.NoError(t, err)
		seen++
		if f.ID == 150 {
			break
		}
	}
	assert.Equal(t, 150, seen)
	assert.Equal(t, int64(2), api.count(), "the third page is never fetched")
}

// A page that would repeat files (next_start within the page) is an error, yielded once,
// rather than a loop or a silent end; a failed page is yielded once too.
func TestListAllRefusesARepeatingPage(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(replyJSON(200, listAllPage(1, 100, 100)), replyJSON(200, listAllPage(101, 200, 150))))
	files, errs := collect(t, newClient(t, api.baseURL()).Files.ListAll(t.Context()))
	assert.Len(t, files, 200)
	require.Len(t, errs, 1)
	require.EqualError(t, errs[0], "pipedrive: GET /files: unexpected response: next_start 150 does not follow the 100 files from start 100")
	requireSentinels(t, errs[0])
	assert.Equal(t, int64(2), api.count())

	failing := newFakeAPI(t, inTurn(replyJSON(200, listAllPage(1, 100, 100)), replyJSON(401, errorEnvelope("unauthorized access", ""))))
	files, errs = collect(t, newClient(t, failing.baseURL()).Files.ListAll(t.Context()))
	assert.Len(t, files, 100)
	require.Len(t, errs, 1)
	requireSentinels(t, errs[0], "ErrUnauthorized")
}
