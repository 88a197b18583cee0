package pipedrive

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// The form bodies are what url.Values.Encode writes for the same fields, byte for byte.
func TestFormsMatchValuesEncode(t *testing.T) {
	t.Parallel()
	for _, title := range []string{"Proposal for John Doe", "a&b=c+d%e", "Ünïcödé ✓ 日本", "tab\there", "~!*'();:@$,/?#[]", ""} {
		for _, item := range []Item{Deal(1), Person(9223372036854775807), Organization(42)} {
			c := CreateRemoteFileRequest{FileType: GoogleSheet, Title: title, Item: item}
			want := url.Values{
				"file_type": {string(c.FileType)}, "title": {c.Title}, "item_type": {string(item.Type)},
				"item_id": {strconv.FormatInt(item.ID, 10)}, "remote_location": {string(gen.RemoteLocationGoogledrive)},
			}.Encode()
			if got := createForm(c); got != want {
				t.Errorf("createForm(%+v) = %q, want %q", c, got, want)
			}
			l := LinkRemoteFileRequest{RemoteID: title, Item: item}
			want = url.Values{
				"remote_id": {l.RemoteID}, "item_type": {string(item.Type)},
				"item_id": {strconv.FormatInt(item.ID, 10)}, "remote_location": {string(gen.RemoteLocationGoogledrive)},
			}.Encode()
			if got := linkForm(l); got != want {
				t.Errorf("linkForm(%+v) = %q, want %q", l, got, want)
			}
		}
	}
}
