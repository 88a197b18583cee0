package pipedrivetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// timeLayout is Pipedrive's date-time format, in UTC without a zone marker.
const timeLayout = "2006-01-02 15:04:05"

// errorInfo is the error_info Pipedrive sends with every failure.
const errorInfo = "Please check developers.pipedrive.com for more information about Pipedrive API."

// remoteLocation is the only remote_location the spec lets a request send.
const remoteLocation = "googledrive"

// wireFile is the data object of a success response, with the keys and the nulls a real
// response carries (ids of items the file is not linked to are null; strings are ""). It
// is built from a storedFile when the file is sent.
type wireFile struct {
	ID             int64   `json:"id"`
	UserID         int64   `json:"user_id"`
	DealID         *int64  `json:"deal_id"`
	PersonID       *int64  `json:"person_id"`
	OrgID          *int64  `json:"org_id"`
	ProductID      *int64  `json:"product_id"`
	ActivityID     *int64  `json:"activity_id"`
	ProjectID      *int64  `json:"project_id"`
	LeadID         *string `json:"lead_id"`
	LogID          *int64  `json:"log_id"`
	AddTime        string  `json:"add_time"`
	UpdateTime     string  `json:"update_time"`
	FileName       string  `json:"file_name"`
	FileType       string  `json:"file_type"`
	FileSize       int64   `json:"file_size"`
	ActiveFlag     bool    `json:"active_flag"`
	InlineFlag     bool    `json:"inline_flag"`
	RemoteLocation string  `json:"remote_location"`
	RemoteID       string  `json:"remote_id"`
	CID            string  `json:"cid"`
	S3Bucket       string  `json:"s3_bucket"`
	MailMessageID  string  `json:"mail_message_id"`
	MailTemplateID string  `json:"mail_template_id"`
	DealName       string  `json:"deal_name"`
	PersonName     string  `json:"person_name"`
	OrgName        string  `json:"org_name"`
	ProductName    string  `json:"product_name"`
	LeadName       string  `json:"lead_name"`
	ProjectName    string  `json:"project_name"`
	URL            string  `json:"url"`
	Name           string  `json:"name"`
	Description    string  `json:"description"`
}

// storedFile is what the server keeps of a file: 32 bytes, plus for a created file its
// Drive file (a linked one shares the Drive's), so that a fake holding a million files
// stays small. File ids are positions: the file with id n is Server.files[n-1]. What a
// PUT or a DELETE changed is kept apart, in Server.edits, for the few files that have
// one.
type storedFile struct {
	drive  *DriveFile  // the Drive file: its id, name and type
	target *linkTarget // the item and its relations as they were when the file was stored
	added  int64       // add_time, which is also update_time until an edit, in Unix seconds
	linked bool        // linked with remoteLink: file_name is the Drive file's name
	active bool        // false once the file is marked deleted
	edited bool        // Server.edits holds an edit for the file
}

// fileEdit is what PUT and DELETE /files/{id} changed of one file.
type fileEdit struct {
	name, description string
	named, described  bool  // name and description replace the stored ones
	updated           int64 // update_time, in Unix seconds
	deleted           int64 // when the file was marked deleted, in Unix seconds; 0 if it is not
}

// purgeAfter is how long after its deletion Pipedrive deletes a file for good, after
// which no request finds it.
const purgeAfter = 30 * 24 * time.Hour

// itemFiles indexes the files linked to one item, so that listing them reads only theirs.
type itemFiles struct {
	files   []int32     // positions in Server.files, in id order
	deleted gaps        // indices into files of the deleted ones, which lists leave out
	target  *linkTarget // the target of the item's last file, shared while it is unchanged
	// inTimeOrder holds while add times never decrease along files (the clock did not go
	// back): then, unless a PUT changed a file (updates), the order by update_time is the
	// order by id.
	inTimeOrder bool
	updates     int // files of the item a PUT has changed
}

// store creates or links the file a valid request asks for. The body has passed
// validation, so its fields are present and well-formed.
func (s *Server) store(route string, body []byte, now time.Time) reply {
	form, _ := url.ParseQuery(string(body))
	itemType := pipedrive.ItemType(form.Get("item_type"))
	itemID, _ := strconv.ParseInt(form.Get("item_id"), 10, 64)

	s.mu.Lock()
	defer s.mu.Unlock()
	target, ok := s.lookupLocked(itemType, itemID)
	if !ok {
		return errorReply(http.StatusNotFound, itemName(itemType)+" not found")
	}
	id := int64(len(s.files)) + 1
	f := storedFile{added: now.Unix(), active: true}
	if route == "/files/remote" {
		title := form.Get("title")
		f.drive = &DriveFile{ID: googleID("file", id, title), Name: title, Type: fileType(form.Get("file_type"))}
		s.drive[f.drive.ID] = f.drive
	} else {
		if f.drive, ok = s.drive[form.Get("remote_id")]; !ok {
			return errorReply(http.StatusNotFound, "Remote file not found: no Google Drive file with id "+strconv.Quote(form.Get("remote_id")))
		}
		f.linked = true
	}
	pos := int32(len(s.files))
	f.target = s.indexLocked(target, f.added, pos)
	if n := len(s.files); n > 0 && s.files[n-1].added > f.added {
		s.inTimeOrder = false
	}
	s.files = append(s.files, f)
	s.version++
	return fileReply(s.wireLocked(pos))
}

// fileReply is a success answer carrying one file.
func fileReply(w wireFile) reply {
	data, err := json.Marshal(struct {
		Success bool      `json:"success"`
		Data    *wireFile `json:"data"`
	}{true, &w})
	if err != nil {
		return errorReply(http.StatusInternalServerError, "encoding the response: "+err.Error())
	}
	return reply{status: http.StatusOK, contentType: "application/json", body: data}
}

// indexLocked lists the file at position pos, added at added, under its item, and
// returns the target to store with it: the item's previous one when nothing about the
// item has changed since, so that its files share one. s.mu must be held.
func (s *Server) indexLocked(target linkTarget, added int64, pos int32) *linkTarget {
	ix := s.byItem[target.item]
	if ix == nil {
		ix = &itemFiles{inTimeOrder: true}
		s.byItem[target.item] = ix
	}
	if ix.target == nil || *ix.target != target {
		ix.target = &target
	}
	if n := len(ix.files); n > 0 && s.files[ix.files[n-1]].added > added {
		ix.inTimeOrder = false
	}
	ix.files = append(ix.files, pos)
	return ix.target
}

// fileType returns t as one of package pipedrive's constants, so that a million files of
// one type share one string; the spec has checked that it is one of them.
func fileType(t string) pipedrive.FileType {
	for _, c := range []pipedrive.FileType{pipedrive.GoogleDoc, pipedrive.GoogleSheet, pipedrive.GoogleSlides, pipedrive.GoogleForm, pipedrive.GoogleDrawing} {
		if string(c) == t {
			return c
		}
	}
	return pipedrive.FileType(t)
}

// wireLocked is the file at position pos as Pipedrive sends it, with its edits. s.mu
// must be held.
func (s *Server) wireLocked(pos int32) wireFile {
	f := &s.files[pos]
	w := f.wire(int64(pos) + 1)
	if f.edited {
		e := s.edits[pos]
		if e.named {
			w.Name = e.name
		}
		if e.described {
			w.Description = e.description
		}
		w.UpdateTime = time.Unix(e.updated, 0).UTC().Format(timeLayout)
	}
	return w
}

// updated is the file's update_time, in Unix seconds. s.mu must be held.
func (s *Server) updatedLocked(pos int32) int64 {
	if s.files[pos].edited {
		return s.edits[pos].updated
	}
	return s.files[pos].added
}

// editLocked returns the file's edit, making one (update_time as it was) if it has none.
// s.mu must be held.
func (s *Server) editLocked(pos int32) *fileEdit {
	f := &s.files[pos]
	if !f.edited {
		s.edits[pos] = &fileEdit{updated: f.added}
		f.edited = true
	}
	return s.edits[pos]
}

// wire is the file with the given id as Pipedrive sends it, as it was stored.
func (f *storedFile) wire(id int64) wireFile {
	stamp := time.Unix(f.added, 0).UTC().Format(timeLayout)
	w := wireFile{
		ID:             id,
		UserID:         UserID,
		DealID:         optional(f.target.dealID),
		PersonID:       optional(f.target.personID),
		OrgID:          optional(f.target.orgID),
		AddTime:        stamp,
		UpdateTime:     stamp,
		FileType:       string(f.drive.Type),
		ActiveFlag:     f.active,
		RemoteLocation: remoteLocation,
		RemoteID:       f.drive.ID,
		DealName:       f.target.dealName,
		PersonName:     f.target.personName,
		OrgName:        f.target.orgName,
		URL:            fmt.Sprintf("https://app.pipedrive.com/api/v1/files/%d/download", id),
		Name:           f.drive.Name,
	}
	if f.linked { // Pipedrive's examples: "" for a new file, the Drive file's title for a linked one
		w.FileName = f.drive.Name
	}
	return w
}

// itemName is the item kind as Pipedrive's 404 messages name it.
func itemName(t pipedrive.ItemType) string {
	switch t {
	case pipedrive.ItemDeal:
		return "Deal"
	case pipedrive.ItemPerson:
		return "Person"
	}
	return "Organization"
}

// optional is nil for an unset id, which Pipedrive sends as null.
func optional(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// remoteFile is f as pipedrive.Client decodes it.
func (f wireFile) remoteFile() pipedrive.File {
	deref := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	add, _ := time.Parse(timeLayout, f.AddTime)
	upd, _ := time.Parse(timeLayout, f.UpdateTime)
	return pipedrive.File{
		ID: f.ID, UserID: f.UserID, DealID: deref(f.DealID), PersonID: deref(f.PersonID), OrgID: deref(f.OrgID),
		Name: f.Name, FileName: f.FileName, FileType: pipedrive.FileType(f.FileType), FileSize: f.FileSize,
		RemoteLocation: f.RemoteLocation, RemoteID: f.RemoteID, URL: f.URL, Description: f.Description,
		DealName: f.DealName, PersonName: f.PersonName, OrgName: f.OrgName,
		ActiveFlag: f.ActiveFlag, InlineFlag: f.InlineFlag, AddTime: add, UpdateTime: upd,
	}
}

// googleID derives a Drive-like file id (44 characters of [A-Za-z0-9_-] starting with
// "1") from its inputs, so that a test sees the same ids on every run.
func googleID(kind string, n int64, name string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("pipedrivetest/%s/%d/%s", kind, n, name)))
	return "1" + base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

// errorReply is a failure in Pipedrive's envelope, with its integer errorCode: the
// status, as in the answers seen from Pipedrive.
func errorReply(status int, msg string) reply {
	data, _ := json.Marshal(struct {
		Success        bool   `json:"success"`
		Error          string `json:"error"`
		ErrorInfo      string `json:"error_info"`
		ErrorCode      int    `json:"errorCode"`
		Data           any    `json:"data"`
		AdditionalData any    `json:"additional_data"`
	}{false, msg, errorInfo, status, nil, nil})
	return reply{status: status, contentType: "application/json", body: data}
}
