package pipedrive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// priceList links the seeded Drive file "Price list" to deal 12.
var priceList = pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)}

// linksOf counts the active files on deal 12 linked from Drive file remoteID.
func linksOf(srv *pipedrivetest.Server, remoteID string) int {
	n := 0
	for _, f := range srv.Files() {
		if f.DealID == 12 && f.RemoteID == remoteID && f.ActiveFlag {
			n++
		}
	}
	return n
}

// onPost calls fault before each POST the client sends, with the POST's 1-based number,
// so a test can script the answer to a POST that follows a GET.
type onPost struct {
	next  http.RoundTripper
	posts atomic.Int64
	fault func(n int64)
}

func (o *onPost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		o.fault(o.posts.Add(1))
	}
	return o.next.RoundTrip(req)
}

// faultyPostServer is listServer with fault run before each POST.
func faultyPostServer(t *testing.T, fault func(srv *pipedrivetest.Server, n int64)) (*pipedrivetest.Server, *pipedrive.Client, *pipedrivetest.Clock, *onPost) {
	t.Helper()
	clk := newFakeClock()
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	t.Cleanup(srv.Close)
	rt := &onPost{next: ownTransport(t), fault: func(n int64) { fault(srv, n) }}
	return srv, srv.Client(pipedrive.WithClock(clk), pipedrive.WithHTTPClient(&http.Client{Transport: rt})), clk, rt
}

func TestEnsureLinkedTwiceLinksOnce(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	ctx := t.Context()

	first, linked, err := c.Files.EnsureLinked(ctx, priceList)
	require.NoError(t, err)
	assert.True(t, linked)
	assert.Equal(t, "123magicfile123", first.RemoteID)

	again, linked, err := c.Files.EnsureLinked(ctx, priceList)
	require.NoError(t, err)
	assert.False(t, linked, "already linked")
	assert.Equal(t, first.ID, again.ID)

	assert.Len(t, requestsOf(srv, http.MethodPost), 1)
	assert.Len(t, requestsOf(srv, http.MethodGet), 2, "one look before each")
	assert.Equal(t, 1, linksOf(srv, "123magicfile123"))
}

// The fault queued first meets EnsureLinked's first request, the look: its answer is
// lost, the look is retried (a GET is safe to resend), and the file is linked once.
func TestEnsureLinkedAfterFailNextAfterCommit(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	srv.FailNextAfterCommit(http.StatusGatewayTimeout, "<html>504 Gateway Time-out</html>")

	f, linked, err := c.Files.EnsureLinked(t.Context(), priceList)
	require.NoError(t, err)
	assert.True(t, linked)
	assert.Equal(t, "123magicfile123", f.RemoteID)
	assert.Equal(t, 1, linksOf(srv, "123magicfile123"))
	assert.Len(t, requestsOf(srv, http.MethodPost), 1)
	assert.Len(t, clk.Sleeps(), 1, "one backoff before the retried look")
}

func TestEnsureLinkedWhenTheLinksAnswerIsLost(t *testing.T) {
	t.Parallel()
	srv, c, clk, rt := faultyPostServer(t, func(srv *pipedrivetest.Server, n int64) {
		if n == 1 {
			srv.FailNextAfterCommit(http.StatusGatewayTimeout, "<html>504 Gateway Time-out</html>")
		}
	})
	f, linked, err := c.Files.EnsureLinked(t.Context(), priceList)
	require.NoError(t, err)
	assert.True(t, linked, "the lost link took effect")
	assert.Equal(t, srv.Files()[0].ID, f.ID)
	assert.Equal(t, 1, linksOf(srv, "123magicfile123"))
	assert.Equal(t, int64(1), rt.posts.Load(), "found on the second look: not linked again")
	assert.Len(t, requestsOf(srv, http.MethodGet), 2)
	assert.Equal(t, []time.Duration{pipedrive.SettleTime}, clk.Sleeps(), "settled on the fake clock")
}

func TestEnsureLinkedWhenTheLinkWasNotCarriedOut(t *testing.T) {
	t.Parallel()
	srv, c, clk, rt := faultyPostServer(t, func(srv *pipedrivetest.Server, n int64) {
		if n == 1 {
			srv.FailNext(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
		}
	})
	f, linked, err := c.Files.EnsureLinked(t.Context(), priceList)
	require.NoError(t, err)
	assert.True(t, linked)
	assert.Equal(t, "123magicfile123", f.RemoteID)
	assert.Equal(t, int64(2), rt.posts.Load(), "not found after settling: linked once more")
	assert.Equal(t, 1, linksOf(srv, "123magicfile123"))
	assert.Equal(t, []time.Duration{pipedrive.SettleTime}, clk.Sleeps())
}

func TestEnsureLinkedGivesUpAfterTwoUnknownOutcomes(t *testing.T) {
	t.Parallel()
	srv, c, _, rt := faultyPostServer(t, func(srv *pipedrivetest.Server, _ int64) {
		srv.FailNext(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
	})
	f, linked, err := c.Files.EnsureLinked(t.Context(), priceList)
	require.Error(t, err)
	assert.Nil(t, f)
	assert.False(t, linked)
	assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "the link was sent twice")
	assert.Equal(t, 1, strings.Count(err.Error(), "pipedrive:"), "one prefix: %v", err)
	assert.Equal(t, int64(2), rt.posts.Load(), "never more than two links")
	assert.Len(t, requestsOf(srv, http.MethodPost), 2)
	assert.Zero(t, linksOf(srv, "123magicfile123"))
}

func TestEnsureLinkedIgnoresADeletedFile(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	old, err := c.Files.LinkRemote(t.Context(), priceList)
	require.NoError(t, err)
	require.True(t, srv.DeleteFile(old.ID))

	f, linked, err := c.Files.EnsureLinked(t.Context(), priceList)
	require.NoError(t, err)
	assert.True(t, linked)
	assert.NotEqual(t, old.ID, f.ID)
	assert.Equal(t, 1, linksOf(srv, "123magicfile123"))
}

func TestEnsureLinkedKnownFailuresAreReturnedAsTheyAre(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	_, linked, err := c.Files.EnsureLinked(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(999)})
	assert.ErrorIs(t, err, pipedrive.ErrNotFound)
	assert.False(t, linked)
	assert.Empty(t, requestsOf(srv, http.MethodPost), "an unknown item is found out by the look")

	_, linked, err = c.Files.EnsureLinked(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: "noSuchDriveFile", Item: pipedrive.Deal(12)})
	assert.ErrorIs(t, err, pipedrive.ErrNotFound)
	assert.False(t, linked)
	assert.Len(t, requestsOf(srv, http.MethodPost), 1)

	n := len(srv.Requests())
	_, _, err = c.Files.EnsureLinked(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: "https://docs.google.com/x", Item: pipedrive.Deal(12)})
	var ve *pipedrive.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "RemoteID", ve.Field)
	assert.Len(t, srv.Requests(), n, "nothing sent")
}

var proposal = pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal for John Doe", Item: pipedrive.Deal(12)}

func TestFindCreatedAfterALostAnswer(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	ctx := t.Context()
	// A file of another type and one of another name are not it.
	_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: proposal.Title, Item: proposal.Item})
	require.NoError(t, err)
	_, err = c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Another", Item: proposal.Item})
	require.NoError(t, err)

	start := clk.Now()
	srv.FailNextAfterCommit(http.StatusBadGateway, "<html>502 Bad Gateway</html>")
	f, err := c.Files.CreateRemote(ctx, proposal)
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Nil(t, f)

	f, err = c.Files.FindCreated(ctx, proposal, start)
	require.NoError(t, err)
	files := srv.Files()
	require.Len(t, files, 3)
	assert.Equal(t, files[2].ID, f.ID)
	assert.Equal(t, proposal.Title, f.Name)
	assert.Equal(t, pipedrive.GoogleDoc, f.FileType)

	other := proposal
	other.Title = "Proposal for Jane Roe"
	_, err = c.Files.FindCreated(ctx, other, start)
	requireSentinels(t, err, "ErrNotCreated")
	assert.Contains(t, err.Error(), `"Proposal for Jane Roe"`)
	assert.Len(t, requestsOf(srv, http.MethodPost), 3, "looking sends no POST")
}

func TestFindCreatedPicksTheNewestWithinTheSkewAllowance(t *testing.T) {
	t.Parallel()
	_, c, clk := listServer(t)
	ctx := t.Context()
	older, err := c.Files.CreateRemote(ctx, proposal)
	require.NoError(t, err)
	clk.Advance(time.Minute)
	newer, err := c.Files.CreateRemote(ctx, proposal)
	require.NoError(t, err)

	f, err := c.Files.FindCreated(ctx, proposal, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, newer.ID, f.ID)

	// since may run ahead of Pipedrive's clock by up to the allowance.
	f, err = c.Files.FindCreated(ctx, proposal, newer.AddTime.Add(pipedrive.ClockSkewAllowance))
	require.NoError(t, err)
	assert.Equal(t, newer.ID, f.ID)
	_, err = c.Files.FindCreated(ctx, proposal, newer.AddTime.Add(pipedrive.ClockSkewAllowance+time.Second))
	requireSentinels(t, err, "ErrNotCreated") // added before since minus the allowance
	assert.NotEqual(t, older.ID, newer.ID)
}

func TestFindCreatedChecksItsRequest(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	_, err := c.Files.FindCreated(t.Context(), pipedrive.CreateRemoteFileRequest{FileType: "pdf", Title: "x", Item: pipedrive.Deal(12)}, clk.Now())
	var ve *pipedrive.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "FileType", ve.Field)
	_, err = c.Files.FindCreated(t.Context(), proposal, clk.Now(), pipedrive.SkipFiles(nil))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "SkipFiles", ve.Field)
	_, err = c.Files.FindCreated(t.Context(), proposal, clk.Now(), nil)
	requireSentinels(t, err, "ErrInvalidRequest")
	assert.Empty(t, srv.Requests(), "nothing listed")
	assert.Empty(t, clk.Sleeps(), "nor waited for")
}

// landingClock is a fake clock on which whatever land does happens during the first
// Sleep: a request still on its way to Pipedrive, carried out while the client waits.
type landingClock struct {
	*pipedrivetest.Clock
	land func()
	once atomic.Bool
}

func (c *landingClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.once.CompareAndSwap(false, true) {
		c.land()
	}
	return c.Clock.Sleep(ctx, d)
}

// A create whose answer was lost and which Pipedrive carries out a moment later is found:
// FindCreated waits SettleTime before it lists.
func TestFindCreatedWaitsForACreateStillOnItsWay(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	ctx := t.Context()
	lc := &landingClock{Clock: clk, land: func() {
		_, err := c.Files.CreateRemote(ctx, proposal) // the lost create, landing late
		require.NoError(t, err)
	}}
	waiting := srv.Client(pipedrive.WithClock(lc))

	start := clk.Now()
	f, err := waiting.Files.FindCreated(ctx, proposal, start)
	require.NoError(t, err)
	assert.Equal(t, proposal.Title, f.Name)
	assert.Equal(t, []time.Duration{pipedrive.SettleTime}, clk.Sleeps())
}

// A file whose add_time is null may be the one created: it is found, not reported as
// "not created" (which would invite sending the create again). The error for a file
// that is not there carries the package's prefix once.
func TestFindCreatedCountsAFileWithoutAddTime(t *testing.T) {
	t.Parallel()
	page := `{"success":true,"data":[{"id":7,"active_flag":true,"remote_location":"googledrive","remote_id":"abc","file_type":"gdoc","name":` +
		jsonString(proposal.Title) + `,"add_time":null}],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`
	api := newFakeAPI(t, replyJSON(200, page))
	c := newClient(t, api.baseURL())

	f, err := c.Files.FindCreated(t.Context(), proposal, time.Now())
	require.NoError(t, err)
	assert.Equal(t, int64(7), f.ID)
	assert.True(t, f.AddTime.IsZero())

	other := proposal
	other.Title = "Another"
	_, err = c.Files.FindCreated(t.Context(), other, time.Now())
	requireSentinels(t, err, "ErrNotCreated")
	assert.Equal(t, 1, strings.Count(err.Error(), "pipedrive:"), err.Error())
}

// listPageJSON is a one-page list answer holding files.
func listPageJSON(files ...string) string {
	return `{"success":true,"data":[` + strings.Join(files, ",") + `],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`
}

// Only a file with remote_location "googledrive" is the Drive file already linked: an
// upload ("s3") or a "googledocs" file with the same remote_id is not, so the link is sent.
func TestEnsureLinkedMatchesOnlyDriveFiles(t *testing.T) {
	t.Parallel()
	r := validLink()
	others := listPageJSON(uploadedJPG(3, r.RemoteID),
		`{"id":4,"active_flag":true,"remote_location":"googledocs","remote_id":`+jsonString(r.RemoteID)+`}`)
	api := newFakeAPI(t, inTurn(replyJSON(200, others), replyJSON(200, minimalSuccessJSON)))
	f, linked, err := newClient(t, api.baseURL()).Files.EnsureLinked(t.Context(), r)
	require.NoError(t, err)
	assert.True(t, linked)
	assert.Equal(t, int64(7195), f.ID)
	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, []string{http.MethodGet, http.MethodPost}, []string{reqs[0].Method, reqs[1].Method})

	drive := newFakeAPI(t, replyJSON(200, listPageJSON(uploadedJPG(3, r.RemoteID),
		`{"id":5,"active_flag":true,"remote_location":"googledrive","remote_id":`+jsonString(r.RemoteID)+`}`)))
	f, linked, err = newClient(t, drive.baseURL()).Files.EnsureLinked(t.Context(), r)
	require.NoError(t, err)
	assert.False(t, linked)
	assert.Equal(t, int64(5), f.ID)
	assert.True(t, f.IsDriveFile())
	assert.Equal(t, http.MethodGet, drive.onlyRequest(t).Method, "no link sent")
}

// FindCreated finds the Drive file, and never takes for it an upload ("s3", with a
// remote_id) or a file whose remote_location is anything but "googledrive".
func TestFindCreatedMatchesOnlyDriveFiles(t *testing.T) {
	t.Parallel()
	file := func(id int, location, remoteID string) string {
		return `{"id":` + strconv.Itoa(id) + `,"active_flag":true,"file_type":"gdoc","name":` + jsonString(proposal.Title) +
			`,"add_time":"2026-11-27 12:00:00","remote_location":"` + location + `","remote_id":"` + remoteID + `"}`
	}
	clk := newFakeClock()
	docs := newFakeAPI(t, replyJSON(200, listPageJSON(file(5, "googledrive", "abc"), file(6, "s3", "95781006_n.jpg"), file(7, "googledocs", "def"))))
	f, err := newClient(t, docs.baseURL(), pipedrive.WithClock(clk)).Files.FindCreated(t.Context(), proposal, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, int64(5), f.ID, "the Drive file, not the newer upload or googledocs file")

	uploads := newFakeAPI(t, replyJSON(200, listPageJSON(file(6, "s3", "95781006_n.jpg"), file(7, "googledocs", "def"), file(8, "", ""))))
	_, err = newClient(t, uploads.baseURL(), pipedrive.WithClock(clk)).Files.FindCreated(t.Context(), proposal, clk.Now())
	requireSentinels(t, err, "ErrNotCreated")
}

// FindCreated's test of one file: active, a Drive file, the title and type asked for, and not
// added before since minus ClockSkewAllowance (no add_time counts).
func TestFindCreatedMatchesEachFileOnItsOwn(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)
	file := func(edit func(*pipedrive.RemoteFile)) pipedrive.RemoteFile {
		f := pipedrive.RemoteFile{ID: 1, Name: proposal.Title, FileType: proposal.FileType, ActiveFlag: true,
			RemoteLocation: "googledrive", RemoteID: "1abc", AddTime: since, DealID: proposal.Item.ID}
		edit(&f)
		return f
	}
	for name, tc := range map[string]struct {
		f    pipedrive.RemoteFile
		want bool
	}{
		"the file":             {file(func(*pipedrive.RemoteFile) {}), true},
		"googledocs location":  {file(func(f *pipedrive.RemoteFile) { f.RemoteLocation = "googledocs" }), false},
		"s3 with a remote id":  {file(func(f *pipedrive.RemoteFile) { f.RemoteLocation = "s3" }), false},
		"no location":          {file(func(f *pipedrive.RemoteFile) { f.RemoteLocation = "" }), false},
		"no add_time":          {file(func(f *pipedrive.RemoteFile) { f.AddTime = time.Time{} }), true},
		"within the allowance": {file(func(f *pipedrive.RemoteFile) { f.AddTime = since.Add(-pipedrive.ClockSkewAllowance) }), true},
		"before the allowance": {file(func(f *pipedrive.RemoteFile) { f.AddTime = since.Add(-pipedrive.ClockSkewAllowance - time.Second) }), false},
		"deleted":              {file(func(f *pipedrive.RemoteFile) { f.ActiveFlag = false }), false},
		"uploaded, not remote": {file(func(f *pipedrive.RemoteFile) { f.RemoteLocation, f.RemoteID = "", "" }), false},
		"another title":        {file(func(f *pipedrive.RemoteFile) { f.Name = "Proposal 2" }), false},
		"another type":         {file(func(f *pipedrive.RemoteFile) { f.FileType = pipedrive.GoogleSheet }), false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.f)
			require.NoError(t, err)
			api := newFakeAPI(t, replyJSON(200, listPageJSON(string(b))))
			f, err := newClient(t, api.baseURL()).Files.FindCreated(t.Context(), proposal, since, pipedrive.AlreadySettled())
			if tc.want {
				require.NoError(t, err)
				assert.Equal(t, int64(1), f.ID)
			} else {
				requireSentinels(t, err, "ErrNotCreated")
			}
			assert.Equal(t, int64(1), api.count(), "one list request")
		})
	}
}

// SkipFiles leaves out the files the caller has accounted for: of two identical files,
// skipping the newer returns the older, and skipping both is "not created".
func TestFindCreatedSkipFiles(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	ctx := t.Context()
	start := clk.Now()
	older, err := c.Files.CreateRemote(ctx, proposal)
	require.NoError(t, err)
	newer, err := c.Files.CreateRemote(ctx, proposal) // the same add_time: the higher id is newer
	require.NoError(t, err)
	require.Equal(t, older.AddTime, newer.AddTime)
	require.Greater(t, newer.ID, older.ID)

	f, err := c.Files.FindCreated(ctx, proposal, start, pipedrive.AlreadySettled())
	require.NoError(t, err)
	assert.Equal(t, newer.ID, f.ID, "without SkipFiles: the newest")

	var asked []int64
	f, err = c.Files.FindCreated(ctx, proposal, start, pipedrive.AlreadySettled(), pipedrive.SkipFiles(func(id int64) bool {
		asked = append(asked, id)
		return id == newer.ID
	}))
	require.NoError(t, err)
	assert.Equal(t, older.ID, f.ID, "the newest file not skipped")
	assert.ElementsMatch(t, []int64{older.ID, newer.ID}, asked, "asked once about each matching file")

	claimed := map[int64]bool{older.ID: true, newer.ID: true}
	_, err = c.Files.FindCreated(ctx, proposal, start, pipedrive.AlreadySettled(), pipedrive.SkipFiles(func(id int64) bool { return claimed[id] }))
	requireSentinels(t, err, "ErrNotCreated")
	assert.Contains(t, err.Error(), "other than 2 skipped")

	// Several SkipFiles combine.
	_, err = c.Files.FindCreated(ctx, proposal, start, pipedrive.AlreadySettled(),
		pipedrive.SkipFiles(func(id int64) bool { return id == older.ID }), pipedrive.SkipFiles(func(id int64) bool { return id == newer.ID }))
	requireSentinels(t, err, "ErrNotCreated")

	assert.Len(t, requestsOf(srv, http.MethodGet), 4, "one list per call")
	assert.Len(t, requestsOf(srv, http.MethodPost), 2, "looking sends no POST")
	assert.Empty(t, clk.Sleeps(), "settled already: no wait")
}

// AlreadySettled lists at once: the fake clock shows no wait.
func TestFindCreatedAlreadySettledDoesNotWait(t *testing.T) {
	t.Parallel()
	srv, c, clk := listServer(t)
	start := clk.Now()
	created, err := c.Files.CreateRemote(t.Context(), proposal)
	require.NoError(t, err)

	f, err := c.Files.FindCreated(t.Context(), proposal, start, pipedrive.AlreadySettled())
	require.NoError(t, err)
	assert.Equal(t, created.ID, f.ID)
	assert.Empty(t, clk.Sleeps())
	assert.Equal(t, start, clk.Now(), "no time passed")
	assert.Len(t, requestsOf(srv, http.MethodGet), 1)
}

// Without AlreadySettled, FindCreated waits exactly SettleTime on the client's clock
// before its first list request goes out.
func TestFindCreatedWaitsSettleTimeBeforeListing(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	start := clk.Now()
	var arrived []time.Time // the fake clock's time as each request reached the server
	var mu sync.Mutex
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived = append(arrived, clk.Now())
		mu.Unlock()
		replyJSON(200, emptyPageJSON)(w, r)
	})
	_, err := newClient(t, api.baseURL(), pipedrive.WithClock(clk)).Files.FindCreated(t.Context(), proposal, start)
	requireSentinels(t, err, "ErrNotCreated")
	assert.Equal(t, []time.Time{start.Add(pipedrive.SettleTime)}, arrived, "one list, SettleTime after the call began")
	assert.Equal(t, []time.Duration{pipedrive.SettleTime}, clk.Sleeps())
}

// A 404 while listing (the item was deleted) is the API's answer, matching ErrNotFound,
// and never ErrNotCreated: it says nothing about whether sending the create again is safe.
func TestFindCreatedOnADeletedItemIsNotFoundNotNotCreated(t *testing.T) {
	t.Parallel()
	srv, c, _ := listServer(t)
	gone := proposal
	gone.Item = pipedrive.Deal(999) // no such deal on the fake server
	for name, opts := range map[string][]pipedrive.FindOption{
		"default":                      nil,
		"settled, skipping every file": {pipedrive.AlreadySettled(), pipedrive.SkipFiles(func(int64) bool { return true })},
	} {
		_, err := c.Files.FindCreated(t.Context(), gone, time.Now(), opts...)
		requireSentinels(t, err, "ErrNotFound")
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, http.StatusNotFound, apiErr.StatusCode, name)
	}
	assert.Len(t, requestsOf(srv, http.MethodGet), 2, "one list per call")
}
