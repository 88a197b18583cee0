package pipedrive_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// FuzzRemoteIDFromURL checks that any input gives either an id that LinkRemote accepts
// and that appears in the input, or a *ValidationError for the field "URL"; never a panic.
func FuzzRemoteIDFromURL(f *testing.F) {
	for _, s := range []string{
		"https://docs.google.com/document/d/123magicfile123/edit",
		"https://docs.google.com/spreadsheets/u/1/d/1AbC-_xyz/edit#gid=0",
		"https://docs.google.com/presentation/d/abc/edit?usp=sharing",
		"https://docs.google.com/u/0/forms/d/abc/viewform",
		"https://drive.google.com/file/d/abc/view",
		"https://drive.google.com/open?id=abc",
		"http://drive.google.com/u/2/open?id=a%2Fb",
		"https://drive.google.com/uc?id=abc&export=download",
		"https://docs.google.com/uc?export=download&id=abc",
		"https://docs.google.com/a/example.com/document/d/abc/edit",
		"https://drive.google.com/a/example.com/u/0/file/d/abc/view",
		"https://docs.google.com/file/d/abc/edit",
		"https://docs.google.com/open?id=abc",
		"docs.google.com/document/d/abc/edit",
		"//drive.google.com/open?id=abc",
		"https://drive.google.com/drive/u/0/folders/abc",
		"https://drive.google.com/folderview?id=abc",
		"https://docs.google.com/document/d//edit",
		"ftp://docs.google.com/document/d/x",
		"https://evil.example/document/d/x",
		"%zz",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := pipedrive.RemoteIDFromURL(raw)
		if err != nil {
			var ve *pipedrive.ValidationError
			if !errors.As(err, &ve) || ve.Field != "URL" || !errors.Is(err, pipedrive.ErrInvalidRequest) {
				t.Fatalf("error is not a URL validation error: %v", err)
			}
			if id != "" {
				t.Fatalf("id %q returned with an error", id)
			}
			return
		}
		unescaped, _ := url.QueryUnescape(raw)
		if id == "" || !strings.Contains(raw, id) && !strings.Contains(unescaped, id) {
			t.Fatalf("id %q not taken from %q", id, raw)
		}
		if err := (pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Deal(1)}).Validate(); err != nil {
			t.Fatalf("extracted id %q is not a valid RemoteID: %v", id, err)
		}
	})
}
