package pipedrive_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// listServer starts a fake Pipedrive closed when the test ends, and a client for it with
// a fake clock.
func listServer(t *testing.T) (*pipedrivetest.Server, *pipedrive.Client, *pipedrivetest.Clock) {
	t.Helper()
	clk := newFakeClock()
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	t.Cleanup(srv.Close)
	return srv, srv.Client(pipedrive.WithClock(clk)), clk
}

// createDocs creates n Google Docs titled "Doc 1".. on item.
func createDocs(t *testing.T, c *pipedrive.Client, item pipedrive.Item, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		_, err := c.Files.CreateRemote(t.Context(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Doc " + strconv.Itoa(i), Item: item})
		require.NoError(t, err)
	}
}

// requestsOf returns the requests srv received with the given method.
func requestsOf(srv *pipedrivetest.Server, method string) []pipedrivetest.Request {
	var out []pipedrivetest.Request
	for _, r := range srv.Requests() {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// collect ranges over a list to the end.
func collect(t *testing.T, seq func(func(*pipedrive.RemoteFile, error) bool)) ([]*pipedrive.RemoteFile, []error) {
	t.Helper()
	var (
		files []*pipedrive.RemoteFile
		errs  []error
	)
	for f, err := range seq {
		if err != nil {
			assert.Nil(t, f, "an error comes with no file")
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	return files, errs
}

func TestListReadsEveryPage(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	createDocs(t, c, pipedrive.Deal(12), 250)
	createDocs(t, c, pipedrive.Deal(13), 2) // another deal's files are not listed

	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Empty(t, errs)
	require.Len(t, files, 250)
	for i, f := range files {
		assert.Equal(t, int64(i+1), f.ID, "oldest first, each once")
		assert.Equal(t, "Doc "+strconv.Itoa(i+1), f.Name)
		assert.Equal(t, int64(12), f.DealID)
	}
	gets := requestsOf(srv, http.MethodGet)
	require.Len(t, gets, 3)
	for i, r := range gets {
		assert.Equal(t, "/api/v1/deals/12/files", r.Path)
		limit, err := strconv.Atoi(r.Query.Get("limit"))
		require.NoError(t, err)
		assert.LessOrEqual(t, limit, 100)
		assert.Equal(t, strconv.Itoa(100*i), r.Query.Get("start"))
		assert.Equal(t, "id ASC", r.Query.Get("sort"))
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Empty(t, r.Body)
	}
}

func TestListStopsFetchingWhenTheLoopBreaks(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	createDocs(t, c, pipedrive.Deal(12), 150)

	var seen []int64
	for f, err := range c.Files.List(t.Context(), pipedrive.Deal(12)) {
		require.NoError(t, err)
		seen = append(seen, f.ID)
		if len(seen) == 5 {
			break
		}
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5}, seen)
	assert.Len(t, requestsOf(srv, http.MethodGet), 1)
}

func TestListEachItemType(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	ctx := t.Context()
	for _, item := range []pipedrive.Item{pipedrive.Person(5), pipedrive.Organization(1)} {
		_, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: item})
		require.NoError(t, err)
	}
	for item, want := range map[pipedrive.Item]struct {
		path string
		id   int64
	}{
		pipedrive.Person(5):       {"/api/v1/persons/5/files", 1},
		pipedrive.Organization(1): {"/api/v1/organizations/1/files", 2},
	} {
		files, errs := collect(t, c.Files.List(ctx, item))
		require.Empty(t, errs)
		require.Len(t, files, 1, "%v", item)
		assert.Equal(t, want.id, files[0].ID)
		assert.Equal(t, "123magicfile123", files[0].RemoteID)
		gets := requestsOf(srv, http.MethodGet)
		assert.Equal(t, want.path, gets[len(gets)-1].Path)
	}
}

func TestListOfAnItemWithoutFilesIsEmpty(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(13)))
	assert.Empty(t, files)
	assert.Empty(t, errs)
	gets := requestsOf(srv, http.MethodGet)
	require.Len(t, gets, 1)
	assert.Contains(t, gets[0].Response, `"data":null`)
}

func TestListOfAnUnknownItemIsNotFound(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(999)))
	assert.Empty(t, files)
	require.Len(t, errs, 1, "the error is yielded once and ends the sequence")
	assert.ErrorIs(t, errs[0], pipedrive.ErrNotFound)
	assert.NotErrorIs(t, errs[0], pipedrive.ErrOutcomeUnknown)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, errs[0], &apiErr)
	assert.Equal(t, "GET /deals/{id}/files", apiErr.Operation)
	assert.Equal(t, "pipedrive: GET /deals/{id}/files: 404 Not Found: Deal not found", errs[0].Error())
	assert.Len(t, srv.Requests(), 1)
}

func TestListOfAnInvalidItemSendsNothing(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	for _, item := range []pipedrive.Item{pipedrive.Deal(0), {Type: "lead", ID: 1}} {
		files, errs := collect(t, c.Files.List(t.Context(), item))
		assert.Empty(t, files)
		require.Len(t, errs, 1)
		var ve *pipedrive.ValidationError
		require.ErrorAs(t, errs[0], &ve)
		assert.Contains(t, ve.Field, "Item.")
	}
	assert.Empty(t, srv.Requests())
}

func TestListRetriesAServerErrorOnce(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	createDocs(t, c, pipedrive.Deal(12), 3)
	srv.FailNext(http.StatusServiceUnavailable, "<html>503 Service Unavailable</html>")

	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Empty(t, errs)
	assert.Len(t, files, 3)
	gets := requestsOf(srv, http.MethodGet)
	require.Len(t, gets, 2)
	assert.Equal(t, http.StatusServiceUnavailable, gets[0].Status)
	assert.Equal(t, http.StatusOK, gets[1].Status)
	require.Len(t, clk.Sleeps(), 1, "one backoff, on the fake clock")
	assert.Positive(t, clk.Sleeps()[0])
}

func TestListServerErrorsPastTheBudgetAreNotOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	for range 4 {
		srv.FailNext(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
	}
	_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], pipedrive.ErrServer)
	assert.NotErrorIs(t, errs[0], pipedrive.ErrOutcomeUnknown, "a read changes nothing")
	assert.Len(t, requestsOf(srv, http.MethodGet), 4, "sent once and retried MaxRetries (3) times")
	assert.Len(t, clk.Sleeps(), 3)
}

func TestListDoesNotRetryAClientError(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	srv.FailNext(http.StatusBadRequest, `{"success":false,"error":"Invalid input"}`)
	_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Len(t, errs, 1)
	assert.Len(t, srv.Requests(), 1)
	assert.Empty(t, clk.Sleeps())
}

func TestListRetriesABrokenConnection(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(reset, replyJSON(200, `{"success":true,"data":[{"id":1,"remote_id":"abc","active_flag":true}],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`)))
	c := newClient(t, api.baseURL(), retries)
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Empty(t, errs)
	require.Len(t, files, 1)
	assert.Equal(t, "abc", files[0].RemoteID)
	assert.Equal(t, int64(2), api.count())
}

func TestListRejectsPaginationThatDoesNotAdvance(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, `{"success":true,"data":[{"id":1}],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":true,"next_start":0}}}`))
	c := newClient(t, api.baseURL(), retries)
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	assert.Len(t, files, 1)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "next_start 0 does not follow the 1 files from start 0")
	assert.Equal(t, int64(1), api.count())
}

// Pages that announce more items but would repeat files (a next_start inside the page)
// or end nothing (an empty page) are an error, not a loop or a silent stop.
func TestListRejectsPagesThatWouldRepeatOrEndSilently(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		second    string
		wantFiles int
		want      string
	}{
		"next_start inside the page": {
			second:    `{"success":true,"data":[{"id":3},{"id":4}],"additional_data":{"pagination":{"start":2,"limit":100,"more_items_in_collection":true,"next_start":3}}}`,
			wantFiles: 4,
			want:      "next_start 3 does not follow the 2 files from start 2",
		},
		"empty page with more": {
			second:    `{"success":true,"data":[],"additional_data":{"pagination":{"start":2,"limit":100,"more_items_in_collection":true,"next_start":2}}}`,
			wantFiles: 2,
			want:      "an empty page at start 2 says there are more items",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				body := `{"success":true,"data":[{"id":1},{"id":2}],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":true,"next_start":2}}}`
				if r.URL.Query().Get("start") == "2" {
					body = tc.second
				}
				replyJSON(200, body)(w, r)
			})
			c := newClient(t, api.baseURL(), retries)
			files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
			assert.Len(t, files, tc.wantFiles)
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0].Error(), tc.want)
			assert.Equal(t, int64(2), api.count(), "one request per page, no loop")
		})
	}
}

func TestListDecodesEveryFileThroughOnePath(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, `{"success":true,"data":[{"id":1,"add_time":"2020-02-21 11:52:28"},{"id":"2","add_time":"yesterday"}]}`))
	c := newClient(t, api.baseURL(), retries)
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	assert.Empty(t, files, "a page is decoded whole before any file is yielded")
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), `"data.id" is "2", not a positive integer`)
	assert.False(t, errors.Is(errs[0], pipedrive.ErrOutcomeUnknown))
}

func TestListRetriesABodyCutShort(t *testing.T) {
	t.Parallel()
	const body = `{"success":true,"data":[{"id":7,"remote_id":"abc","active_flag":true}]}`
	api := newFakeAPI(t, inTurn(
		cutAfter("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"+body[:20]),
		replyJSON(200, body),
	))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk))
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Empty(t, errs)
	require.Len(t, files, 1)
	assert.Equal(t, int64(7), files[0].ID)
	assert.Equal(t, int64(2), api.count())
	assert.Len(t, clk.Sleeps(), 1)
}

func TestListRetriesATimeout(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, emptyPageJSON))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), retries, pipedrive.WithClock(clk), pipedrive.WithHTTPClient(losingAnswers(t, 1)))
	files, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
	require.Empty(t, errs)
	assert.Empty(t, files)
	assert.Equal(t, int64(2), api.count())
	assert.Len(t, clk.Sleeps(), 1)
}
