package pipedrive_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// requireValidationError checks err is a *ValidationError for field that matches
// ErrInvalidRequest and no sentinel of a sent request.
func requireValidationError(t *testing.T, err error, field string) *pipedrive.ValidationError {
	t.Helper()
	var vErr *pipedrive.ValidationError
	require.ErrorAs(t, err, &vErr)
	assert.Equal(t, field, vErr.Field)
	assert.NotEmpty(t, vErr.Reason)
	assert.Equal(t, "pipedrive: invalid request: "+field+": "+vErr.Reason, err.Error())
	requireSentinels(t, err, "ErrInvalidRequest")
	var apiErr *pipedrive.APIError
	assert.NotErrorAs(t, err, &apiErr)
	return vErr
}

func TestCreateRemoteValidationSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(*pipedrive.CreateRemoteFileRequest)
		field  string
		reason string // a part the reason must contain
	}{
		{"unknown file type", func(r *pipedrive.CreateRemoteFileRequest) { r.FileType = "pdf" }, "FileType", `"pdf"`},
		{"empty file type", func(r *pipedrive.CreateRemoteFileRequest) { r.FileType = "" }, "FileType", `""`},
		{"file type in wrong case", func(r *pipedrive.CreateRemoteFileRequest) { r.FileType = "GDOC" }, "FileType", `"GDOC"`},
		{"unknown item type", func(r *pipedrive.CreateRemoteFileRequest) { r.Item.Type = "lead" }, "Item.Type", `"lead"`},
		{"empty item type", func(r *pipedrive.CreateRemoteFileRequest) { r.Item = pipedrive.Item{ID: 12} }, "Item.Type", `""`},
		{"item id 0", func(r *pipedrive.CreateRemoteFileRequest) { r.Item = pipedrive.Deal(0) }, "Item.ID", "positive"},
		{"item id -1", func(r *pipedrive.CreateRemoteFileRequest) { r.Item = pipedrive.Organization(-1) }, "Item.ID", "positive"},
		{"empty title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "" }, "Title", "visible character"},
		{"whitespace-only title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = " \t\u00a0\u3000\u2028" }, "Title", "visible character"},
		{"zero-width space title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\u200b" }, "Title", "visible character"},
		{"BOM and word joiner title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\ufeff\u2060 " }, "Title", "visible character"},
		{"Hangul filler title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\u3164\u3164" }, "Title", "visible character"},
		{"Braille blank title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\u2800" }, "Title", "visible character"},
		{"other format characters title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\u00ad\u200e\U000e0001\U000e0041" }, "Title", "visible character"},
		{"variation selector title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "\ufe0f\u034f" }, "Title", "visible character"},
		{"newline in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "Q3\nbudget" }, "Title", "U+000A at byte 2"},
		{"carriage return in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "Q3 budget\r" }, "Title", "U+000D"},
		{"NUL in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "a\x00" }, "Title", "U+0000"},
		{"DEL in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "a\x7f" }, "Title", "U+007F"},
		{"C1 NEL in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "a\u0085b" }, "Title", "U+0085"},
		{"C1 CSI in title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "a\u009b31m" }, "Title", "U+009B"},
		{"invalid UTF-8 title", func(r *pipedrive.CreateRemoteFileRequest) { r.Title = "Budget \xff" }, "Title", "UTF-8"},
		{"zero request", func(r *pipedrive.CreateRemoteFileRequest) { *r = pipedrive.CreateRemoteFileRequest{} }, "FileType", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := newClient(t, api.baseURL())
			req := validCreate()
			tt.edit(&req)

			f, err := c.Files.CreateRemote(t.Context(), req)
			assert.Nil(t, f)
			vErr := requireValidationError(t, err, tt.field)
			assert.Contains(t, vErr.Reason, tt.reason)
			assert.Equal(t, err, req.Validate(), "CreateRemote reports what Validate reports")
			assert.Zero(t, api.count(), "nothing may reach the server")
		})
	}
}

func TestLinkRemoteValidationSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(*pipedrive.LinkRemoteFileRequest)
		field    string
		mentions string // a part the reason must contain
	}{
		{"empty remote id", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "" }, "RemoteID", "empty"},
		{"remote id with slash", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "document/d/abc" }, "RemoteID", "RemoteIDFromURL"},
		{"remote id is a URL", func(r *pipedrive.LinkRemoteFileRequest) {
			r.RemoteID = "https://docs.google.com/document/d/abc/edit"
		}, "RemoteID", "RemoteIDFromURL"},
		{"remote id with question mark", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc?usp=sharing" }, "RemoteID", `"?"`},
		{"remote id with hash", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc#gid=0" }, "RemoteID", `"#"`},
		{"remote id with space", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc def" }, "RemoteID", `" "`},
		{"remote id with tab", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc\tdef" }, "RemoteID", `"\t"`},
		{"remote id with trailing newline", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc\n" }, "RemoteID", `"\n"`},
		{"remote id only spaces", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "   " }, "RemoteID", "RemoteIDFromURL"},
		{"remote id dot dot", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = ".." }, "RemoteID", `"."`},
		{"remote id escaped slash", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abc%2Fdef" }, "RemoteID", `"%"`},
		{"remote id non-ASCII letter", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "abcü" }, "RemoteID", `"ü"`},
		{"remote id scheme", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "https:" }, "RemoteID", `":"`},
		{"remote id plus", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "a+b" }, "RemoteID", "letters, digits, '-' and '_'"},
		{"remote id invalid UTF-8", func(r *pipedrive.LinkRemoteFileRequest) { r.RemoteID = "ab\xff" }, "RemoteID", `"\xff"`},
		{"unknown item type", func(r *pipedrive.LinkRemoteFileRequest) { r.Item.Type = "product" }, "Item.Type", `"product"`},
		{"item id 0", func(r *pipedrive.LinkRemoteFileRequest) { r.Item = pipedrive.Person(0) }, "Item.ID", "positive"},
		{"item id -1", func(r *pipedrive.LinkRemoteFileRequest) { r.Item = pipedrive.Deal(-1) }, "Item.ID", "positive"},
		{"zero request", func(r *pipedrive.LinkRemoteFileRequest) { *r = pipedrive.LinkRemoteFileRequest{} }, "RemoteID", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := newClient(t, api.baseURL())
			req := validLink()
			tt.edit(&req)

			f, err := c.Files.LinkRemote(t.Context(), req)
			assert.Nil(t, f)
			vErr := requireValidationError(t, err, tt.field)
			assert.Contains(t, vErr.Reason, tt.mentions)
			assert.Equal(t, err, req.Validate(), "LinkRemote reports what Validate reports")
			assert.Zero(t, api.count(), "nothing may reach the server")
		})
	}
}

// The rules must not reject what Pipedrive accepts.
func TestValidRequestsPassValidation(t *testing.T) {
	t.Parallel()
	for _, ft := range []pipedrive.FileType{pipedrive.GoogleDoc, pipedrive.GoogleSlides, pipedrive.GoogleSheet, pipedrive.GoogleForm, pipedrive.GoogleDrawing} {
		for _, item := range []pipedrive.Item{pipedrive.Deal(1), pipedrive.Person(2), pipedrive.Organization(3)} {
			require.NoError(t, pipedrive.CreateRemoteFileRequest{FileType: ft, Title: "x", Item: item}.Validate())
			require.NoError(t, pipedrive.LinkRemoteFileRequest{RemoteID: "1a-B_2", Item: item}.Validate())
		}
	}
	for _, title := range []string{" Hello & wörld ", "\tQ3\tbudget", "\u200bx", "予算", "📊", "\u00e9", "e\u0301", "\U000e0001a", strings.Repeat("long ", 10000)} {
		require.NoError(t, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: title, Item: pipedrive.Deal(12)}.Validate(), "%q", title)
	}
}

// (The wire values of the types themselves are asserted in the bodies of
// TestCreateRemoteSendsFormUnderBasePath and TestLinkRemoteSendsFormUnderBasePath.)
func TestTypesValid(t *testing.T) {
	t.Parallel()
	assert.True(t, pipedrive.ItemOrganization.Valid())
	assert.True(t, pipedrive.GoogleDrawing.Valid())
	assert.False(t, pipedrive.ItemType("org").Valid())
	assert.False(t, pipedrive.FileType("gdocs").Valid())
}
