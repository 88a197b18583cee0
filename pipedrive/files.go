package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

const formContentType = "application/x-www-form-urlencoded"

// FilesService attaches Google Drive files to Pipedrive items, lists an item's files or
// the company's, and reads, renames and deletes one file. Use it as client.Files.
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
func (s *FilesService) CreateRemote(ctx context.Context, r CreateRemoteFileRequest) (*File, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := createForm(r)
	return send(ctx, s.client, opCreate, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.AddFileAndLinkItWithBody(ctx, formContentType, strings.NewReader(body))
	}, fileAnswer)
}

// LinkRemote links the Google Drive file r.RemoteID to r.Item (POST /files/remoteLink).
// It is not idempotent: EnsureLinked links exactly once.
func (s *FilesService) LinkRemote(ctx context.Context, r LinkRemoteFileRequest) (*File, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body := linkForm(r)
	return send(ctx, s.client, opLink, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.LinkFileToItemWithBody(ctx, formContentType, strings.NewReader(body))
	}, fileAnswer)
}

// Get returns the file with the given id (GET /files/{id}, 2 rate-limit tokens), uploaded
// or remote. A file marked deleted is returned with ActiveFlag false until Pipedrive
// deletes it for good, 30 days later; then, as for an id that never existed, the error
// matches ErrNotFound. An id below 1 is a *ValidationError and nothing is sent. It is
// retried as List is.
func (s *FilesService) Get(ctx context.Context, id int64) (*File, error) {
	if err := checkFileID(id); err != nil {
		return nil, err
	}
	return send(ctx, s.client, opGet, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.GetFile(ctx, id)
	}, fileAnswerFor(id))
}

// FileUpdate says what FilesService.Update changes. A nil field is left as it is; a
// field that is set is sent, even when empty. With Go 1.26's new(expr):
//
//	pipedrive.FileUpdate{Name: new("Proposal v2")}      // rename, description unchanged
//	pipedrive.FileUpdate{Description: new("")}          // clear the description
//	pipedrive.FileUpdate{Name: new("Q3"), Description: new("Final figures")}
type FileUpdate struct {
	// Name, when set, becomes the file's visible name (the name shown in Pipedrive, not
	// the Drive file's own title). It follows CreateRemoteFileRequest.Title's rules: valid
	// UTF-8, no control characters (tab is allowed), and a visible character, so it
	// cannot be cleared.
	Name *string
	// Description, when set, becomes the file's description; new("") clears it. It must
	// be valid UTF-8 without control characters other than tab, line feed and carriage
	// return. Pipedrive documents no length limit for either field.
	Description *string
}

// Validate reports the first rule the update breaks as a *ValidationError: it must set
// at least one field, and each field it sets must follow that field's rules.
func (u FileUpdate) Validate() error {
	if u.Name == nil && u.Description == nil {
		return &ValidationError{Field: "FileUpdate", Reason: "sets nothing: set Name, Description or both (a nil field is left unchanged)"}
	}
	if u.Name != nil {
		if reason := checkTitle(*u.Name); reason != "" {
			return &ValidationError{Field: "Name", Reason: reason}
		}
	}
	if u.Description != nil {
		if reason := checkDescription(*u.Description); reason != "" {
			return &ValidationError{Field: "Description", Reason: reason}
		}
	}
	return nil
}

// Update changes the name, the description or both of the file with the given id (PUT
// /files/{id} with the form fields name and description, 10 rate-limit tokens) and
// returns the file as Pipedrive now has it. Only the fields u sets are sent; see
// FileUpdate. An id below 1 or an invalid u is a *ValidationError and nothing is sent;
// an unknown file matches ErrNotFound.
//
// A PUT is idempotent: sending the same name and description twice leaves the file as
// sending them once does. So, unlike a create or a link, Update is retried after a 500,
// 502, 503 or 504, a timeout or a broken connection (within the RetryPolicy); when the
// retries run out the error matches ErrOutcomeUnknown, and calling Update again is safe.
// A rename made by someone else between two attempts is overwritten by the retry, as it
// would be by a request that arrived later.
func (s *FilesService) Update(ctx context.Context, id int64, u FileUpdate) (*File, error) {
	if err := checkFileID(id); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	form := url.Values{}
	if u.Name != nil {
		form.Set("name", *u.Name)
	}
	if u.Description != nil {
		form.Set("description", *u.Description)
	}
	body := form.Encode()
	return send(ctx, s.client, opUpdate, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.UpdateFileWithBody(ctx, id, formContentType, strings.NewReader(body))
	}, fileAnswerFor(id))
}

// Delete marks the file with the given id deleted (DELETE /files/{id}, 6 rate-limit
// tokens). Pipedrive deletes it for good 30 days later; until then Get returns it with
// ActiveFlag false, and the lists leave it out. An id below 1 is a *ValidationError and
// nothing is sent; an unknown file, or one deleted for good, matches ErrNotFound.
//
// A DELETE is idempotent, so Delete is retried as Update is, and after an error matching
// ErrOutcomeUnknown calling it again is safe. What Pipedrive answers to a DELETE of a file
// already marked deleted is not documented (pipedrivetest answers 200, as for the first);
// to make sure a file is gone, treat nil and ErrNotFound alike.
func (s *FilesService) Delete(ctx context.Context, id int64) error {
	if err := checkFileID(id); err != nil {
		return err
	}
	_, err := send(ctx, s.client, opDelete, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		return api.DeleteFile(ctx, id)
	}, deletedAnswer(id))
	return err
}

// checkFileID refuses a file id below 1, which no file has.
func checkFileID(id int64) error {
	if id < 1 {
		return &ValidationError{Field: "ID", Reason: fmt.Sprintf("must be a positive file id, got %d", id)}
	}
	return nil
}

// createForm is a create's form body as url.Values.Encode writes it (keys sorted, values
// escaped by url.QueryEscape), made in one string concatenation rather than through a
// map, its slices and a sort.
func createForm(r CreateRemoteFileRequest) string {
	return "file_type=" + url.QueryEscape(string(r.FileType)) +
		"&item_id=" + strconv.FormatInt(r.Item.ID, 10) +
		"&item_type=" + url.QueryEscape(string(r.Item.Type)) +
		"&remote_location=" + url.QueryEscape(string(gen.RemoteLocationGoogledrive)) +
		"&title=" + url.QueryEscape(r.Title)
}

// linkForm is a link's form body, made as createForm's.
func linkForm(r LinkRemoteFileRequest) string {
	return "item_id=" + strconv.FormatInt(r.Item.ID, 10) +
		"&item_type=" + url.QueryEscape(string(r.Item.Type)) +
		"&remote_id=" + url.QueryEscape(r.RemoteID) +
		"&remote_location=" + url.QueryEscape(string(gen.RemoteLocationGoogledrive))
}

// send runs one generated operation and reads its answer with r; ctx tells the
// transport which operation it is sending. Every error it returns is redacted (a token
// endpoint's error may quote an old token, too).
func send[D, T any](ctx context.Context, c *Client, op operation, call func(context.Context, *gen.Client) (*http.Response, error), r reader[D, T]) (_ T, resErr error) {
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
	return result(c, op, resp, r)
}
