package pipedrive

import (
	"strings"
	"testing"

	"github.com/oapi-codegen/runtime"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// encoderTitles are titles and remote ids that exercise every escaping rule of
// application/x-www-form-urlencoded.
var encoderTitles = []string{
	"", "x", "Proposal for John Doe", "Hello & wörld", "a=b&c=d", "100% + 1", "a+b", "  lead and trail  ",
	"tab\there", "line\nbreak\r\n", "slash/question?hash#", "emoji 📋🚀", "日本語のタイトル", "ü\u00a0nbsp",
	"quote\"apos'back`", "<script>alert(1)</script>", "semi;colon,comma:colon", "~-._*!()", "\x00\x01\x7f",
	"invalid utf8 \xff\xfe", strings.Repeat("long title ", 500), "[]{}|\\^", "%zz%", "é" + strings.Repeat("&", 10),
}

// encodeCreate and encodeLink skip the generated client's reflection-based encoder; they
// must produce exactly what it produces (runtime.MarshalForm, then url.Values.Encode).
func TestEncodersMatchGeneratedFormEncoder(t *testing.T) {
	fileTypes := []gen.FileType{gen.FileTypeGdoc, gen.FileTypeGslides, gen.FileTypeGsheet, gen.FileTypeGform, gen.FileTypeGdraw, "", "pdf&x=1"}
	itemTypes := []gen.ItemType{gen.ItemTypeDeal, gen.ItemTypePerson, gen.ItemTypeOrganization, "", "a b"}
	ids := []int64{1, 12, 999999, -1, 0, 9223372036854775807, -9223372036854775808}
	locations := []gen.RemoteLocation{gen.RemoteLocationGoogledrive, "google drive/x"}

	n := 0
	for _, title := range encoderTitles {
		for _, ft := range fileTypes {
			for _, it := range itemTypes {
				for _, id := range ids {
					for _, loc := range locations {
						c := gen.AddFileAndLinkItRequest{FileType: ft, Title: title, ItemType: it, ItemID: id, RemoteLocation: loc}
						want, err := runtime.MarshalForm(c, nil)
						require.NoError(t, err)
						require.Equal(t, want.Encode(), encodeCreate(c), "%#v", c)

						l := gen.LinkFileToItemRequest{RemoteID: title, ItemType: it, ItemID: id, RemoteLocation: loc}
						want, err = runtime.MarshalForm(l, nil)
						require.NoError(t, err)
						require.Equal(t, want.Encode(), encodeLink(l), "%#v", l)
						n++
					}
				}
			}
		}
	}
	require.Greater(t, n, 5000)
}

// The comparison above must be able to fail: a body the reference would not produce is
// told apart.
func TestEncoderComparisonDetectsADifference(t *testing.T) {
	c := gen.AddFileAndLinkItRequest{FileType: gen.FileTypeGdoc, Title: "Hello & wörld", ItemType: gen.ItemTypeDeal, ItemID: 12, RemoteLocation: gen.RemoteLocationGoogledrive}
	want, err := runtime.MarshalForm(c, nil)
	require.NoError(t, err)
	require.Equal(t, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Hello+%26+w%C3%B6rld", want.Encode())
	require.NotEqual(t, want.Encode(), strings.Replace(encodeCreate(c), "+", "%20", -1), "%20 for a space is not what the generator sends")
}

// FuzzFormEncoders extends the table above to arbitrary text and ids
// (go test -fuzz=FuzzFormEncoders); the seeds run as part of go test.
func FuzzFormEncoders(f *testing.F) {
	for i, s := range encoderTitles {
		f.Add(s, "gdoc", "deal", int64(i))
	}
	f.Fuzz(func(t *testing.T, text, fileType, itemType string, id int64) {
		c := gen.AddFileAndLinkItRequest{FileType: gen.FileType(fileType), Title: text, ItemType: gen.ItemType(itemType), ItemID: id, RemoteLocation: gen.RemoteLocationGoogledrive}
		want, err := runtime.MarshalForm(c, nil)
		require.NoError(t, err)
		require.Equal(t, want.Encode(), encodeCreate(c))
		l := gen.LinkFileToItemRequest{RemoteID: text, ItemType: gen.ItemType(itemType), ItemID: id, RemoteLocation: gen.RemoteLocation(fileType)}
		want, err = runtime.MarshalForm(l, nil)
		require.NoError(t, err)
		require.Equal(t, want.Encode(), encodeLink(l))
	})
}
