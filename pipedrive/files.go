package pipedrive

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// Operation names, as they appear in errors.
const (
	opCreate = "POST /files/remote"
	opLink   = "POST /files/remoteLink"
)

const formContentType = "application/x-www-form-urlencoded"

// FilesService attaches Google Drive files to Pipedrive items. Use it as client.Files.
type FilesService struct {
	client *Client
}

// CreateRemoteFileRequest asks Pipedrive to create a new, empty Google file and link it.
type CreateRemoteFileRequest struct {
	// FileType is the kind of Google file to create, e.g. GoogleDoc.
	FileType FileType
	// Title is the new file's name; it must contain a non-space character.
	Title string
	// Item is the deal, person or organization to link the file to, e.g. Deal(12).
	Item Item
}

// Validate reports the first rule the request breaks as a *ValidationError.
func (r CreateRemoteFileRequest) Validate() error {
	if !r.FileType.Valid() {
		return &ValidationError{Field: "FileType", Reason: `must be one of "gdoc", "gslides", "gsheet", "gform", "gdraw", got ` + quote(string(r.FileType))}
	}
	if strings.TrimSpace(r.Title) == "" {
		return &ValidationError{Field: "Title", Reason: "must contain a non-space character"}
	}
	return r.Item.validate("Item")
}

// LinkRemoteFileRequest asks Pipedrive to link a file that is already in Google Drive.
type LinkRemoteFileRequest struct {
	// RemoteID is the Drive file id: the part after /d/ in a Google URL. Use
	// RemoteIDFromURL to get it from a URL.
	RemoteID string
	// Item is the deal, person or organization to link the file to.
	Item Item
}

// Validate reports the first rule the request breaks as a *ValidationError.
func (r LinkRemoteFileRequest) Validate() error {
	if r.RemoteID == "" {
		return &ValidationError{Field: "RemoteID", Reason: "must not be empty"}
	}
	if i := strings.IndexFunc(r.RemoteID, func(c rune) bool {
		return c == '/' || c == '?' || c == '#' || unicode.IsSpace(c)
	}); i >= 0 {
		return &ValidationError{Field: "RemoteID", Reason: "must be a Google Drive file id, not a URL or path (it contains " +
			quote(r.RemoteID[i:i+1]) + "); use RemoteIDFromURL to extract the id from a URL"}
	}
	return r.Item.validate("Item")
}

// CreateRemote creates a new Google file of r.FileType titled r.Title in the user's
// Drive and links it to r.Item (POST /files/remote). It is not idempotent: a failure
// matching ErrOutcomeUnknown may still have created the file.
func (s *FilesService) CreateRemote(ctx context.Context, r CreateRemoteFileRequest) (*RemoteFile, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := encodeCreate(gen.AddFileAndLinkItRequest{
		FileType:       gen.FileType(r.FileType),
		Title:          r.Title,
		ItemType:       gen.ItemType(r.Item.Type),
		ItemID:         r.Item.ID,
		RemoteLocation: gen.RemoteLocationGoogledrive,
	})
	return s.send(ctx, opCreate, body, (*gen.Client).AddFileAndLinkItWithBody)
}

// LinkRemote links the Google Drive file r.RemoteID to r.Item (POST /files/remoteLink).
func (s *FilesService) LinkRemote(ctx context.Context, r LinkRemoteFileRequest) (*RemoteFile, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := encodeLink(gen.LinkFileToItemRequest{
		RemoteID:       r.RemoteID,
		ItemType:       gen.ItemType(r.Item.Type),
		ItemID:         r.Item.ID,
		RemoteLocation: gen.RemoteLocationGoogledrive,
	})
	return s.send(ctx, opLink, body, (*gen.Client).LinkFileToItemWithBody)
}

// genCall is a generated operation that takes a raw body, e.g. AddFileAndLinkItWithBody.
type genCall func(c *gen.Client, ctx context.Context, contentType string, body io.Reader, editors ...gen.RequestEditorFn) (*http.Response, error)

// send posts the form body through the generated operation and turns the answer into a
// file or an error.
func (s *FilesService) send(ctx context.Context, op, body string, call genCall) (*RemoteFile, error) {
	api, err := s.client.apiFor()
	if err != nil {
		return nil, errorf(op, "%w", err)
	}
	resp, err := call(api, ctx, formContentType, strings.NewReader(body))
	return s.client.result(op, resp, err)
}

// encodeCreate writes the form body with keys in sorted order, byte for byte what
// url.Values.Encode (and so the generated client's reflection-based encoder) produces,
// without the reflection and the intermediate map.
func encodeCreate(b gen.AddFileAndLinkItRequest) string {
	var sb strings.Builder
	sb.Grow(80 + escapedLen(string(b.FileType)) + escapedLen(string(b.ItemType)) +
		escapedLen(string(b.RemoteLocation)) + escapedLen(b.Title))
	sb.WriteString("file_type=")
	writeEscaped(&sb, string(b.FileType))
	sb.WriteString("&item_id=")
	writeInt(&sb, b.ItemID)
	sb.WriteString("&item_type=")
	writeEscaped(&sb, string(b.ItemType))
	sb.WriteString("&remote_location=")
	writeEscaped(&sb, string(b.RemoteLocation))
	sb.WriteString("&title=")
	writeEscaped(&sb, b.Title)
	return sb.String()
}

// encodeLink is encodeCreate for the link body.
func encodeLink(b gen.LinkFileToItemRequest) string {
	var sb strings.Builder
	sb.Grow(70 + escapedLen(string(b.ItemType)) + escapedLen(b.RemoteID) + escapedLen(string(b.RemoteLocation)))
	sb.WriteString("item_id=")
	writeInt(&sb, b.ItemID)
	sb.WriteString("&item_type=")
	writeEscaped(&sb, string(b.ItemType))
	sb.WriteString("&remote_id=")
	writeEscaped(&sb, b.RemoteID)
	sb.WriteString("&remote_location=")
	writeEscaped(&sb, string(b.RemoteLocation))
	return sb.String()
}

// writeEscaped writes url.QueryEscape(s) to sb without building the escaped string
// first: unreserved bytes as they are, space as '+', anything else as %XX.
func writeEscaped(sb *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case unreserved(c):
			sb.WriteByte(c)
		case c == ' ':
			sb.WriteByte('+')
		default:
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
	}
}

// escapedLen is len(url.QueryEscape(s)), to size the builder once.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved(c) && c != ' ' {
			n += 2
		}
	}
	return n
}

// unreserved reports whether url.QueryEscape leaves c as it is (RFC 3986 section 2.3).
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// writeInt writes n in decimal without allocating a string for it.
func writeInt(sb *strings.Builder, n int64) {
	var buf [20]byte
	sb.Write(strconv.AppendInt(buf[:0], n, 10))
}
