package pipedrive_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

const driveID = "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c"

func TestRemoteIDFromURLAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want string
	}{
		// docs.google.com, every kind, bare and with the usual trailing parts.
		{"https://docs.google.com/document/d/123magicfile123/edit", "123magicfile123"},
		{"https://docs.google.com/document/d/" + driveID, driveID},
		{"https://docs.google.com/document/d/" + driveID + "/", driveID},
		{"https://docs.google.com/document/d/" + driveID + "/edit?usp=sharing", driveID},
		{"https://docs.google.com/document/d/" + driveID + "/edit#heading=h.abc", driveID},
		{"https://docs.google.com/spreadsheets/d/" + driveID + "/edit#gid=0", driveID},
		{"https://docs.google.com/spreadsheets/d/" + driveID + "/edit?usp=sharing#gid=123", driveID},
		{"https://docs.google.com/presentation/d/" + driveID + "/edit#slide=id.p", driveID},
		{"https://docs.google.com/presentation/d/" + driveID + "/present", driveID},
		{"https://docs.google.com/forms/d/" + driveID + "/edit", driveID},
		{"https://docs.google.com/forms/d/" + driveID + "/viewform?usp=sf_link", driveID},
		{"https://docs.google.com/drawings/d/" + driveID + "/edit", driveID},
		// Account selector /u/N/ in either place.
		{"https://docs.google.com/document/u/0/d/" + driveID + "/edit", driveID},
		{"https://docs.google.com/spreadsheets/u/1/d/" + driveID + "/edit#gid=0", driveID},
		{"https://docs.google.com/u/2/presentation/d/" + driveID + "/edit", driveID},
		{"https://docs.google.com/forms/u/12/d/" + driveID + "/edit?usp=sharing", driveID},
		{"https://docs.google.com/drawings/u/0/d/" + driveID, driveID},
		// drive.google.com.
		{"https://drive.google.com/file/d/" + driveID + "/view", driveID},
		{"https://drive.google.com/file/d/" + driveID + "/view?usp=sharing", driveID},
		{"https://drive.google.com/file/d/" + driveID, driveID},
		{"https://drive.google.com/file/u/0/d/" + driveID + "/view", driveID},
		{"https://drive.google.com/open?id=" + driveID, driveID},
		{"https://drive.google.com/open?id=" + driveID + "&authuser=0", driveID},
		{"https://drive.google.com/u/0/open?id=" + driveID, driveID},
		// Download links: uc?id= on either host, the id anywhere in the query.
		{"https://drive.google.com/uc?id=" + driveID + "&export=download", driveID},
		{"https://drive.google.com/uc?export=download&id=" + driveID, driveID},
		{"https://docs.google.com/uc?id=" + driveID, driveID},
		{"https://drive.google.com/u/0/uc?id=" + driveID + "&export=download", driveID},
		// Google Workspace domains, alone or with an account selector.
		{"https://docs.google.com/a/example.com/document/d/" + driveID + "/edit", driveID},
		{"https://docs.google.com/a/example.com/spreadsheets/d/" + driveID + "/edit#gid=0", driveID},
		{"https://drive.google.com/a/example.com/file/d/" + driveID + "/view", driveID},
		{"https://drive.google.com/a/example.com/open?id=" + driveID, driveID},
		{"https://docs.google.com/a/example.com/u/1/document/d/" + driveID + "/edit", driveID},
		{"https://drive.google.com/u/0/a/example.co.uk/file/d/" + driveID + "/view", driveID},
		// Legacy docs.google.com forms of Drive files.
		{"https://docs.google.com/file/d/" + driveID + "/edit", driveID},
		{"https://docs.google.com/file/d/" + driveID + "/view", driveID},
		{"https://docs.google.com/open?id=" + driveID, driveID},
		{"https://docs.google.com/a/example.com/file/d/" + driveID + "/edit?usp=drivesdk", driveID},
		// Pasted without the scheme, as browsers show URLs.
		{"docs.google.com/document/d/" + driveID + "/edit", driveID},
		{"drive.google.com/file/d/" + driveID + "/view?usp=sharing", driveID},
		{"drive.google.com/open?id=" + driveID, driveID},
		{"Docs.Google.com/spreadsheets/d/" + driveID, driveID},
		{"//docs.google.com/document/d/" + driveID + "/edit", driveID},
		{" docs.google.com/presentation/d/" + driveID + "/edit\n", driveID},
		// Tolerated variations.
		{"http://docs.google.com/document/d/" + driveID + "/edit", driveID},
		{"https://DOCS.GOOGLE.COM/document/d/" + driveID + "/edit", driveID},
		{"  https://docs.google.com/document/d/" + driveID + "/edit\n", driveID},
		{"https://docs.google.com/document/d/a-b_C-9/edit", "a-b_C-9"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := pipedrive.RemoteIDFromURL(tt.url)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			// What it returns is always a valid RemoteID.
			require.NoError(t, pipedrive.LinkRemoteFileRequest{RemoteID: got, Item: pipedrive.Deal(1)}.Validate())
		})
	}
}

func TestRemoteIDFromURLRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		// Other hosts.
		"https://example.com/document/d/" + driveID + "/edit",
		"https://docs.google.com.evil.example/document/d/" + driveID + "/edit",
		"https://evil.example/?u=https://docs.google.com/document/d/" + driveID,
		"https://google.com/document/d/" + driveID,
		"https://sheets.google.com/spreadsheets/d/" + driveID,
		"https://www.dropbox.com/s/" + driveID + "/file.docx",
		// Right host, no id.
		"https://docs.google.com/",
		"https://docs.google.com/document/",
		"https://docs.google.com/document/d/",
		"https://docs.google.com/document/d//edit",
		"https://docs.google.com/document/u/0/",
		"https://docs.google.com/document/create",
		"https://drive.google.com/",
		"https://drive.google.com/open",
		"https://drive.google.com/open?id=",
		"https://drive.google.com/file/d/",
		"https://drive.google.com/drive/my-drive",
		"https://drive.google.com/uc?export=download",
		"https://docs.google.com/uc?id=",
		"https://docs.google.com/a/example.com/",
		"https://docs.google.com/a/example.com/document/d/",
		// Folders cannot be linked.
		"https://drive.google.com/drive/folders/" + driveID,
		"https://drive.google.com/drive/u/0/folders/" + driveID + "?usp=sharing",
		"https://drive.google.com/drive/mobile/folders/" + driveID,
		"https://drive.google.com/a/example.com/drive/folders/" + driveID,
		"https://drive.google.com/folderview?id=" + driveID,
		"drive.google.com/drive/folders/" + driveID,
		// A kind that belongs to the other host.
		"https://drive.google.com/document/d/" + driveID + "/edit",
		"https://drive.google.com/uc/d/" + driveID,
		// Not an id.
		"https://docs.google.com/document/d/abc%2Fdef/edit",
		"https://docs.google.com/document/d/ab.cd/edit",
		"https://drive.google.com/open?id=abc/def",
		// Published (/d/e/...) links carry a publishing id, not the file's id.
		"https://docs.google.com/document/d/e/2PACX-1vQexample/pub",
		"https://docs.google.com/forms/d/e/1FAIpQLSexample/viewform",
		"https://docs.google.com/spreadsheets/d/e/2PACX-1vSexample/pubhtml",
		// Not http(s), or not a URL.
		"ftp://docs.google.com/document/d/" + driveID + "/edit",
		"file:///docs.google.com/document/d/" + driveID,
		"javascript:alert(1)",
		driveID,
		"example.com/document/d/" + driveID + "/edit",
		"docs.google.com.evil.example/document/d/" + driveID,
		"docs.google.com:443/document/d/" + driveID + "/edit",
		"",
		"   ",
		"not a url at all",
		"https://docs.google.com/document/d/" + driveID + "/edit%zz",
		"http://[::1",
	} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			got, err := pipedrive.RemoteIDFromURL(raw)
			assert.Empty(t, got)
			var vErr *pipedrive.ValidationError
			require.ErrorAs(t, err, &vErr)
			assert.Equal(t, "URL", vErr.Field)
			assert.NotEmpty(t, vErr.Reason)
			assert.ErrorIs(t, err, pipedrive.ErrInvalidRequest)
		})
	}
}

// The reason tells the user what to do differently, in the words of the issue it hits.
func TestRemoteIDFromURLSaysWhy(t *testing.T) {
	t.Parallel()
	const (
		folder   = "is a Google Drive folder; a folder cannot be linked, only the files in it"
		notAFile = "does not point to a Google Docs, Sheets, Slides, Forms, Drawings or Drive file"
	)
	for raw, want := range map[string]string{
		"https://drive.google.com/drive/folders/" + driveID:               folder,
		"https://drive.google.com/drive/u/1/folders/" + driveID:           folder,
		"https://drive.google.com/a/example.com/drive/folders/" + driveID: folder,
		"https://drive.google.com/folderview?id=" + driveID:               folder,
		"drive.google.com/drive/folders/" + driveID:                       folder,
		"https://drive.google.com/drive/my-drive":                         notAFile,
		"https://docs.google.com/":                                        notAFile,
		"https://drive.google.com/document/d/" + driveID:                  notAFile,
		"https://docs.google.com/a/example.com/":                          notAFile,
		"https://docs.google.com/document/d/":                             "has no /d/<id>/ part",
		"https://drive.google.com/uc?export=download":                     "has an empty file id",
		"https://example.com/document/d/" + driveID:                       "is not a docs.google.com or drive.google.com URL",
		"example.com/document/d/" + driveID:                               "is not an http(s) URL",
		"ftp://docs.google.com/document/d/" + driveID:                     "is not an http(s) URL",
	} {
		_, err := pipedrive.RemoteIDFromURL(raw)
		var vErr *pipedrive.ValidationError
		require.ErrorAs(t, err, &vErr, raw)
		assert.Equal(t, want, vErr.Reason, raw)
	}
}
