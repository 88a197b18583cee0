package pipedrive_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// requireCommonHeaders checks what every request carries in x-api-token mode.
func requireCommonHeaders(t *testing.T, got capturedRequest, bodyLen int) {
	t.Helper()
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, []string{"application/x-www-form-urlencoded"}, got.Header.Values("Content-Type"))
	assert.Equal(t, []string{testToken}, got.Header.Values("X-Api-Token"))
	assert.Empty(t, got.Header.Values("Authorization"))
	assert.Empty(t, got.RawQuery, "no api_token (or anything else) in the query in header mode")
	assert.Equal(t, []string{wantUserAgent}, got.Header.Values("User-Agent"))
	assert.Equal(t, []string{"application/json"}, got.Header.Values("Accept"))
	assert.Equal(t, int64(bodyLen), got.ContentLength)
}

func TestCreateRemoteSendsFormUnderBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     pipedrive.CreateRemoteFileRequest
		body    string
		wantVal url.Values
	}{
		{
			name: "ampersand and unicode in title",
			req:  pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Hello & wörld", Item: pipedrive.Deal(12)},
			body: "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Hello+%26+w%C3%B6rld",
			wantVal: url.Values{
				"file_type": {"gdoc"}, "item_id": {"12"}, "item_type": {"deal"},
				"remote_location": {"googledrive"}, "title": {"Hello & wörld"},
			},
		},
		{
			name: "slides for a person, reserved characters",
			req:  pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSlides, Title: "a=b+c/d?e#f%g", Item: pipedrive.Person(5)},
			body: "file_type=gslides&item_id=5&item_type=person&remote_location=googledrive&title=a%3Db%2Bc%2Fd%3Fe%23f%25g",
			wantVal: url.Values{
				"file_type": {"gslides"}, "item_id": {"5"}, "item_type": {"person"},
				"remote_location": {"googledrive"}, "title": {"a=b+c/d?e#f%g"},
			},
		},
		{
			name: "sheet for an organization, largest id, spaces kept",
			req:  pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "  Q3 budget ", Item: pipedrive.Organization(9223372036854775807)},
			body: "file_type=gsheet&item_id=9223372036854775807&item_type=organization&remote_location=googledrive&title=++Q3+budget+",
			wantVal: url.Values{
				"file_type": {"gsheet"}, "item_id": {"9223372036854775807"}, "item_type": {"organization"},
				"remote_location": {"googledrive"}, "title": {"  Q3 budget "},
			},
		},
		{
			name: "form with emoji and tab",
			req:  pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleForm, Title: "Survey 📋\tpart 2", Item: pipedrive.Deal(1)},
			body: "file_type=gform&item_id=1&item_type=deal&remote_location=googledrive&title=Survey+%F0%9F%93%8B%09part+2",
			wantVal: url.Values{
				"file_type": {"gform"}, "item_id": {"1"}, "item_type": {"deal"},
				"remote_location": {"googledrive"}, "title": {"Survey 📋\tpart 2"},
			},
		},
		{
			name: "drawing",
			req:  pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDrawing, Title: "Org chart", Item: pipedrive.Organization(77)},
			body: "file_type=gdraw&item_id=77&item_type=organization&remote_location=googledrive&title=Org+chart",
			wantVal: url.Values{
				"file_type": {"gdraw"}, "item_id": {"77"}, "item_type": {"organization"},
				"remote_location": {"googledrive"}, "title": {"Org chart"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := newClient(t, api.baseURL())

			f, err := c.Files.CreateRemote(t.Context(), tt.req)
			require.NoError(t, err)
			require.NotNil(t, f)

			got := api.onlyRequest(t)
			assert.Equal(t, "/api/v1/files/remote", got.Path)
			requireCommonHeaders(t, got, len(tt.body))
			assert.Equal(t, tt.body, string(got.Body), "raw body bytes")
			vals, err := url.ParseQuery(string(got.Body))
			require.NoError(t, err)
			assert.Equal(t, tt.wantVal, vals)
		})
	}
}

func TestLinkRemoteSendsFormUnderBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     pipedrive.LinkRemoteFileRequest
		body    string
		wantVal url.Values
	}{
		{
			name: "person",
			req:  pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)},
			body: "item_id=5&item_type=person&remote_id=123magicfile123&remote_location=googledrive",
			wantVal: url.Values{
				"item_id": {"5"}, "item_type": {"person"}, "remote_id": {"123magicfile123"},
				"remote_location": {"googledrive"},
			},
		},
		{
			name: "deal, id with dash and underscore",
			req:  pipedrive.LinkRemoteFileRequest{RemoteID: "1gzyh6Ex-BxIb4RBZb_AZxsrr", Item: pipedrive.Deal(36)},
			body: "item_id=36&item_type=deal&remote_id=1gzyh6Ex-BxIb4RBZb_AZxsrr&remote_location=googledrive",
			wantVal: url.Values{
				"item_id": {"36"}, "item_type": {"deal"}, "remote_id": {"1gzyh6Ex-BxIb4RBZb_AZxsrr"},
				"remote_location": {"googledrive"},
			},
		},
		{
			name: "organization, every id character",
			req:  pipedrive.LinkRemoteFileRequest{RemoteID: "azAZ09-_", Item: pipedrive.Organization(15)},
			body: "item_id=15&item_type=organization&remote_id=azAZ09-_&remote_location=googledrive",
			wantVal: url.Values{
				"item_id": {"15"}, "item_type": {"organization"}, "remote_id": {"azAZ09-_"},
				"remote_location": {"googledrive"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := newClient(t, api.baseURL())

			f, err := c.Files.LinkRemote(t.Context(), tt.req)
			require.NoError(t, err)
			require.NotNil(t, f)

			got := api.onlyRequest(t)
			assert.Equal(t, "/api/v1/files/remoteLink", got.Path, "capital L, under the base path")
			requireCommonHeaders(t, got, len(tt.body))
			assert.Equal(t, tt.body, string(got.Body), "raw body bytes")
			vals, err := url.ParseQuery(string(got.Body))
			require.NoError(t, err)
			assert.Equal(t, tt.wantVal, vals)
		})
	}
}

func TestBaseURLTrailingSlashDoesNotChangePath(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClient(t, api.baseURL(), pipedrive.WithBaseURL(api.baseURL()+"/"))

	createAndLink(t, c)

	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/api/v1/files/remote", reqs[0].Path)
	assert.Equal(t, "/api/v1/files/remoteLink", reqs[1].Path)
}

func TestWithUserAgentPutsCallerProductFirst(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClient(t, api.baseURL(), pipedrive.WithUserAgent("acme-crm-sync/1.2"))

	_, err := c.Files.LinkRemote(t.Context(), validLink())
	require.NoError(t, err)

	got := api.onlyRequest(t)
	assert.Equal(t, []string{"acme-crm-sync/1.2 pipedrive-remote-files-go/" + pipedrive.Version}, got.Header.Values("User-Agent"))
}

func TestCanceledContextSendsNothing(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClient(t, api.baseURL())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := c.Files.CreateRemote(ctx, validCreate())
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")
	_, err = c.Files.LinkRemote(ctx, validLink())
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")
	assert.Zero(t, api.count())
}
