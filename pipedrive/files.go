package pipedrive

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
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
	// Title is the new file's name. It must be valid UTF-8 without control characters
	// (tab is allowed) and contain a visible character: white space and invisible
	// characters (U+200B, U+FEFF, U+3164, U+2800, other format characters) do not count.
	// Pipedrive documents no length limit, so none is enforced.
	Title string
	// Item is the deal, person or organization to link the file to, e.g. Deal(12).
	Item Item
}

// Validate reports the first rule the request breaks as a *ValidationError.
func (r CreateRemoteFileRequest) Validate() error {
	if !r.FileType.Valid() {
		return &ValidationError{Field: "FileType", Reason: `must be one of "gdoc", "gslides", "gsheet", "gform", "gdraw", got ` + quote(string(r.FileType))}
	}
	if reason := checkTitle(r.Title); reason != "" {
		return &ValidationError{Field: "Title", Reason: reason}
	}
	return r.Item.validate("Item")
}

// LinkRemoteFileRequest asks Pipedrive to link a file that is already in Google Drive.
type LinkRemoteFileRequest struct {
	// RemoteID is the Drive file id: the part after /d/ in a Google URL, made of
	// letters, digits, '-' and '_'. Use RemoteIDFromURL to get it from a URL.
	RemoteID string
	// Item is the deal, person or organization to link the file to.
	Item Item
}

// Validate reports the first rule the request breaks as a *ValidationError.
func (r LinkRemoteFileRequest) Validate() error {
	if reason := checkRemoteID(r.RemoteID); reason != "" {
		return &ValidationError{Field: "RemoteID", Reason: reason}
	}
	return r.Item.validate("Item")
}

// CreateRemote creates a new Google file of r.FileType titled r.Title in the user's
// Drive and links it to r.Item (POST /files/remote). It is not idempotent: a failure
// matching ErrOutcomeUnknown may still have created the file; FindCreated finds it.
func (s *FilesService) CreateRemote(ctx context.Context, r CreateRemoteFileRequest) (*RemoteFile, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := url.Values{
		"file_type":       {string(r.FileType)},
		"title":           {r.Title},
		"item_type":       {string(r.Item.Type)},
		"item_id":         {strconv.FormatInt(r.Item.ID, 10)},
		"remote_location": {string(gen.RemoteLocationGoogledrive)},
	}.Encode()
	return send(ctx, s.client, opCreate, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.AddFileAndLinkItWithBody(ctx, formContentType, strings.NewReader(body))
	}, fileData)
}

// LinkRemote links the Google Drive file r.RemoteID to r.Item (POST /files/remoteLink).
// It is not idempotent: EnsureLinked links exactly once.
func (s *FilesService) LinkRemote(ctx context.Context, r LinkRemoteFileRequest) (*RemoteFile, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := url.Values{
		"remote_id":       {r.RemoteID},
		"item_type":       {string(r.Item.Type)},
		"item_id":         {strconv.FormatInt(r.Item.ID, 10)},
		"remote_location": {string(gen.RemoteLocationGoogledrive)},
	}.Encode()
	return send(ctx, s.client, opLink, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.LinkFileToItemWithBody(ctx, formContentType, strings.NewReader(body))
	}, fileData)
}

// send runs one generated operation and decodes its answer with decode; ctx tells the
// transport which operation it is sending. Every error it returns is redacted (a token
// endpoint's error may quote an old token, too).
func send[D, T any](ctx context.Context, c *Client, op operation, call func(context.Context, *gen.Client) (*http.Response, error), decode func(envelope[D]) (T, error)) (_ T, resErr error) {
	var zero T
	defer func() { resErr = c.transport.redact.error(resErr) }()
	api, err := c.apiFor()
	if err != nil {
		return zero, errorf(op, "%w", err)
	}
	resp, err := call(withOperation(ctx, op), api)
	if err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			return zero, rl // refused before sending; it names the operation itself
		}
		return zero, errorf(op, "%w", err)
	}
	return result(c, op, resp, decode)
}
