package pipedrive

import (
	"context"
	"net/url"
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
	api, err := s.client.apiFor()
	if err != nil {
		return nil, errorf(opCreate, "%w", err)
	}
	resp, err := api.AddFileAndLinkItWithBody(ctx, formContentType, strings.NewReader(body))
	return s.client.result(opCreate, resp, err)
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
	api, err := s.client.apiFor()
	if err != nil {
		return nil, errorf(opLink, "%w", err)
	}
	resp, err := api.LinkFileToItemWithBody(ctx, formContentType, strings.NewReader(body))
	return s.client.result(opLink, resp, err)
}

// encodeCreate writes the form body with keys in sorted order, byte for byte what
// url.Values.Encode (and so the generated client's reflection-based encoder) produces,
// without the reflection and the intermediate map.
func encodeCreate(b gen.AddFileAndLinkItRequest) string {
	var sb strings.Builder
	sb.Grow(96 + len(b.Title))
	sb.WriteString("file_type=")
	sb.WriteString(url.QueryEscape(string(b.FileType)))
	sb.WriteString("&item_id=")
	sb.WriteString(strconv.FormatInt(b.ItemID, 10))
	sb.WriteString("&item_type=")
	sb.WriteString(url.QueryEscape(string(b.ItemType)))
	sb.WriteString("&remote_location=")
	sb.WriteString(url.QueryEscape(string(b.RemoteLocation)))
	sb.WriteString("&title=")
	sb.WriteString(url.QueryEscape(b.Title))
	return sb.String()
}

// encodeLink is encodeCreate for the link body.
func encodeLink(b gen.LinkFileToItemRequest) string {
	var sb strings.Builder
	sb.Grow(80 + len(b.RemoteID))
	sb.WriteString("item_id=")
	sb.WriteString(strconv.FormatInt(b.ItemID, 10))
	sb.WriteString("&item_type=")
	sb.WriteString(url.QueryEscape(string(b.ItemType)))
	sb.WriteString("&remote_id=")
	sb.WriteString(url.QueryEscape(b.RemoteID))
	sb.WriteString("&remote_location=")
	sb.WriteString(url.QueryEscape(string(b.RemoteLocation)))
	return sb.String()
}
