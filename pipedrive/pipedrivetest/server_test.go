package pipedrivetest_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

var start = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func TestCreateRemoteFillsEveryField(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	c := client(t, srv)

	f, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleSheet, Title: "Budget & plan", Item: pipedrive.Deal(12),
	})
	require.NoError(t, err)

	stamp := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	want := pipedrive.RemoteFile{
		ID: 1, UserID: pipedrivetest.UserID, DealID: 12, PersonID: 5, OrgID: 1,
		Name: "Budget & plan", FileType: pipedrive.GoogleSheet, RemoteLocation: "googledrive",
		RemoteID: f.RemoteID, URL: "https://app.pipedrive.com/api/v1/files/1/download",
		DealName: "Acme website redesign", PersonName: "John Doe", OrgName: "Acme Corp",
		ActiveFlag: true, AddTime: stamp, UpdateTime: stamp,
	}
	require.Equal(t, want, *f)
	assert.Regexp(t, `^1[A-Za-z0-9_-]{43}$`, f.RemoteID, "a Drive-like file id")
	require.Equal(t, []pipedrive.RemoteFile{want}, srv.Files())

	// The wire form: every property the spec lists is present, unset ids are null, and
	// the times are in Pipedrive's format.
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	var env struct {
		Success bool                       `json:"success"`
		Data    map[string]json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(reqs[0].Response), &env))
	require.True(t, env.Success)
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	require.NoError(t, err)
	for name := range doc.Components.Schemas["RemoteFile"].Value.Properties {
		assert.Contains(t, env.Data, name)
	}
	for _, k := range []string{"product_id", "activity_id", "project_id", "lead_id"} {
		assert.Equal(t, "null", string(env.Data[k]), k)
	}
	assert.Equal(t, `"2026-03-14 09:26:53"`, string(env.Data["add_time"]))
	assert.Equal(t, `"2026-03-14 09:26:53"`, string(env.Data["update_time"]))
	assert.Equal(t, `"gsheet"`, string(env.Data["file_type"]))
	assert.Equal(t, `0`, string(env.Data["file_size"]))
	assert.Equal(t, `""`, string(env.Data["file_name"]), "a new file has no file_name, as in Pipedrive's create example")
}

func TestLinkRemoteUsesTheDriveFile(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(pipedrivetest.NewClock(start).Now))
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	id, err := pipedrive.RemoteIDFromURL("https://docs.google.com/document/d/123magicfile123/edit")
	require.NoError(t, err)
	f, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Person(5)})
	require.NoError(t, err)
	stamp := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	// Pipedrive's link example fills file_name with the Drive file's title, as it does name.
	want := pipedrive.RemoteFile{
		ID: 1, UserID: pipedrivetest.UserID, PersonID: 5, OrgID: 1,
		Name: "Price list", FileName: "Price list", FileType: pipedrive.GoogleDoc, RemoteLocation: "googledrive",
		RemoteID: "123magicfile123", URL: "https://app.pipedrive.com/api/v1/files/1/download",
		PersonName: "John Doe", OrgName: "Acme Corp",
		ActiveFlag: true, AddTime: stamp, UpdateTime: stamp,
	}
	require.Equal(t, want, *f)
	require.Equal(t, []pipedrive.RemoteFile{want}, srv.Files())
	assert.Contains(t, srv.Requests()[0].Response, `"file_name":"Price list",`)

	// A file created through the API is in the Drive afterwards and can be linked again.
	created, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleSlides, Title: "Pitch", Item: pipedrive.Organization(2),
	})
	require.NoError(t, err)
	assert.Equal(t, [3]int64{0, 0, 2}, [3]int64{created.DealID, created.PersonID, created.OrgID})
	assert.Equal(t, "Globex", created.OrgName)
	again, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: created.RemoteID, Item: pipedrive.Deal(13)})
	require.NoError(t, err)
	assert.Equal(t, int64(3), again.ID)
	assert.Equal(t, "Pitch", again.Name)
	assert.Equal(t, "Pitch", again.FileName)
	assert.Empty(t, created.FileName)
	assert.Equal(t, pipedrive.GoogleSlides, again.FileType)
	assert.Equal(t, "Globex renewal", again.DealName)
	require.Len(t, srv.Files(), 3)
}

func TestUnknownItemOrDriveFileIs404(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	for _, tc := range []struct {
		item pipedrive.Item
		msg  string
	}{
		{pipedrive.Deal(999), "Deal not found"},
		{pipedrive.Person(12), "Person not found"},
		{pipedrive.Organization(5), "Organization not found"},
	} {
		_, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: tc.item})
		require.ErrorIs(t, err, pipedrive.ErrNotFound)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, tc.msg, apiErr.Message)
		assert.Equal(t, "Please check developers.pipedrive.com for more information about Pipedrive API.", apiErr.Info)
	}
	_, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "notInDrive", Item: pipedrive.Deal(12)})
	require.ErrorIs(t, err, pipedrive.ErrNotFound)
	assert.Contains(t, err.Error(), `"notInDrive"`)
	assert.Empty(t, srv.Files())
	assert.Len(t, srv.Requests(), 4)
}

func TestAddedItemsCanBeLinked(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	org := srv.AddOrganization(pipedrivetest.Organization{Name: "Initech"})
	assert.Equal(t, int64(3), org, "next free organization id")
	person := srv.AddPerson(pipedrivetest.Person{ID: 40, Name: "Peter Gibbons", OrgID: org})
	deal := srv.AddDeal(pipedrivetest.Deal{Title: "TPS reports", PersonID: person, OrgID: org})
	assert.Equal(t, int64(14), deal)
	remote := srv.AddDriveFile(pipedrivetest.DriveFile{Name: "Cover sheet"})
	assert.Regexp(t, `^1[A-Za-z0-9_-]{43}$`, remote)

	f, err := c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: remote, Item: pipedrive.Deal(deal)})
	require.NoError(t, err)
	assert.Equal(t, [3]int64{14, 40, 3}, [3]int64{f.DealID, f.PersonID, f.OrgID})
	assert.Equal(t, [3]string{"TPS reports", "Peter Gibbons", "Initech"}, [3]string{f.DealName, f.PersonName, f.OrgName})
	assert.Equal(t, "Cover sheet", f.Name)
	assert.Equal(t, "Cover sheet", f.FileName)
	assert.Equal(t, pipedrive.GoogleDoc, f.FileType, "the default Drive file type")
}

func TestRequestsRecordWhatWasSentWithTokenRedacted(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	req := pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Hello & wörld", Item: pipedrive.Deal(12)}

	header := client(t, srv)
	query, err := pipedrive.NewClient(pipedrive.WithBaseURL(srv.URL()), pipedrive.WithAPITokenInQuery(srv.Token()))
	require.NoError(t, err)
	bearer, err := pipedrive.NewClient(pipedrive.WithBaseURL(srv.URL()),
		pipedrive.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: srv.Token()})))
	require.NoError(t, err)
	for _, c := range []*pipedrive.Client{header, query, bearer} {
		_, err := c.Files.CreateRemote(ctx, req)
		require.NoError(t, err)
	}

	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/api/v1/files/remote", r.Path)
		assert.Equal(t, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Hello+%26+w%C3%B6rld", r.Body)
		assert.Equal(t, "Hello & wörld", r.Form.Get("title"))
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, r.Response, `"success":true`)
	}
	assert.Equal(t, pipedrivetest.Redacted, reqs[0].Header.Get("X-Api-Token"))
	assert.Equal(t, pipedrivetest.Redacted, reqs[1].Query.Get("api_token"))
	assert.Empty(t, reqs[1].Header.Get("X-Api-Token"))
	assert.Equal(t, "Bearer "+pipedrivetest.Redacted, reqs[2].Header.Get("Authorization"))
	dump, err := json.Marshal(reqs)
	require.NoError(t, err)
	assert.NotContains(t, string(dump), srv.Token())

	// The listing is a copy: changing it does not change the server's record.
	reqs[0].Header.Set("X-Api-Token", "changed")
	reqs[0].Form.Set("title", "changed")
	assert.Equal(t, pipedrivetest.Redacted, srv.Requests()[0].Header.Get("X-Api-Token"))
	assert.Equal(t, "Hello & wörld", srv.Requests()[0].Form.Get("title"))
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	body := "item_id=12&item_type=deal&remote_id=123magicfile123&remote_location=googledrive"
	const form = "application/x-www-form-urlencoded"
	noToken := envelope(http.StatusUnauthorized, "You need to be authorized to make this request.")
	wrong := envelope(http.StatusUnauthorized, "unauthorized access")

	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		status int
		body   string
	}{
		{"header", "/files/remoteLink", tokenHeader(srv), http.StatusOK, ""},
		{"query", "/files/remoteLink?api_token=" + srv.Token(), nil, http.StatusOK, ""},
		{"bearer", "/files/remoteLink", http.Header{"Authorization": {"Bearer " + srv.Token()}}, http.StatusOK, ""},
		{"none", "/files/remoteLink", nil, http.StatusUnauthorized, noToken},
		{"wrong header", "/files/remoteLink", http.Header{"X-Api-Token": {"0123456789abcdef"}}, http.StatusUnauthorized, wrong},
		{"wrong query", "/files/remoteLink?api_token=nope", nil, http.StatusUnauthorized, wrong},
		{"wrong bearer", "/files/remoteLink", http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized, wrong},
		{"malformed authorization", "/files/remoteLink", http.Header{"Authorization": {"Basic dXNlcjpwdw=="}}, http.StatusBadRequest,
			envelope(http.StatusBadRequest, `Malformed Authorization header: expected "Bearer <token>"`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, got := post(t, srv, tc.path, form, body, tc.header)
			require.Equal(t, tc.status, status, got)
			if tc.body != "" {
				require.Equal(t, tc.body, got)
			}
		})
	}
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Path+r.Query.Encode()+r.Header.Get("X-Api-Token")+r.Header.Get("Authorization"), srv.Token())
	}

	// Through the client: a wrong token is ErrUnauthorized, and nothing is stored by it.
	c, err := pipedrive.NewClient(pipedrive.WithBaseURL(srv.URL()), pipedrive.WithAPIToken("0123456789abcdef0123"))
	require.NoError(t, err)
	_, err = c.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)})
	require.ErrorIs(t, err, pipedrive.ErrUnauthorized)
	assert.Len(t, srv.Files(), 3, "only the three authorized requests stored a file")
}

func TestUnknownPathAndMethod(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	resp, err := http.Get(srv.URL() + "/files/remote")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	status, _, body := post(t, srv, "/files/remote", "application/x-www-form-urlencoded", "", tokenHeader(srv))
	assert.Equal(t, http.StatusBadRequest, status, body)

	resp, err = http.Post(srv.URL()+"/deals", "application/x-www-form-urlencoded", strings.NewReader("title=x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, err = http.Post(strings.TrimSuffix(srv.URL(), "/api/v1")+"/v1/files/remote", "application/x-www-form-urlencoded", strings.NewReader("title=x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "t", Item: pipedrive.Deal(12)})
				errs <- err
				return
			}
			srv.AddPerson(pipedrivetest.Person{Name: "p"})
			_, err := c.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)})
			errs <- err
			_ = srv.Files()
			_ = srv.Requests()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	files := srv.Files()
	require.Len(t, files, n)
	seen := map[int64]bool{}
	for _, f := range files {
		seen[f.ID] = true
	}
	assert.Len(t, seen, n, "every file has its own id")
	assert.Len(t, srv.Requests(), n, "each call was sent once")
}

func TestCloseStopsTheServer(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	c := srv.Client(pipedrive.WithRetry(pipedrive.NoRetry))
	_, err := c.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	srv.Close()
	// The client fails to connect, as to any stopped server, and nothing was sent: it does
	// not reach whichever server may have taken the port since (another test package's,
	// in a parallel go test ./...).
	_, err = c.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)})
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
	assert.Equal(t, "dial", opErr.Op)
	assert.ErrorContains(t, err, "pipedrivetest: the server is closed")
	assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")

	// What was received before Close can still be inspected.
	files, reqs := srv.Files(), srv.Requests()
	require.Len(t, files, 1)
	assert.Equal(t, "Price list", files[0].Name)
	require.Len(t, reqs, 1)
	assert.Equal(t, "/api/v1/files/remoteLink", reqs[0].Path)
	assert.Equal(t, http.StatusOK, reqs[0].Status)
}

// An invalid option panics, as httptest does on misuse, and the panic never shows the
// token, even when the caller put it in the option.
func TestClientPanicsOnInvalidOptionsWithoutTheToken(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		name string
		opt  pipedrive.Option
		want string
	}{
		{"second credential", pipedrive.WithAPITokenInQuery(srv.Token()),
			"pipedrivetest: Server.Client: pipedrive: NewClient: more than one credential: use exactly one of WithAPIToken, WithAPITokenInQuery and WithTokenSource"},
		{"token with a space", pipedrive.WithAPIToken(srv.Token() + " x"),
			"pipedrivetest: Server.Client: pipedrive: WithAPIToken: token contains whitespace or control characters"},
		{"company domain", pipedrive.WithCompanyDomain("acme"),
			"pipedrivetest: Server.Client: pipedrive: NewClient: WithCompanyDomain and WithBaseURL both set the base URL: use one"},
		// url.Parse quotes the URL it rejects, token and all.
		{"token in a bad URL", pipedrive.WithBaseURL("http://127.0.0.1:1/%zz?api_token=" + srv.Token()),
			`pipedrivetest: Server.Client: pipedrive: WithBaseURL: not a valid URL: invalid URL escape "%zz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				srv.Client(tc.opt)
			}()
			require.Equal(t, tc.want, got)
			assert.NotContains(t, got, srv.Token())
		})
	}
	assert.Empty(t, srv.Requests(), "no client was made, so nothing was sent")
}

func TestTokensDiffer(t *testing.T) {
	t.Parallel()
	a, b := pipedrivetest.NewServer(), pipedrivetest.NewServer()
	defer a.Close()
	defer b.Close()
	assert.Regexp(t, `^[0-9a-f]{40}$`, a.Token())
	assert.NotEqual(t, a.Token(), b.Token())
	assert.True(t, strings.HasPrefix(a.URL(), "http://127.0.0.1:"), a.URL())
	assert.True(t, strings.HasSuffix(a.URL(), "/api/v1"), a.URL())
}
