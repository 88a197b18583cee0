package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// timeLayout is Pipedrive's date-time format: UTC without a zone marker.
const timeLayout = "2006-01-02 15:04:05"

// File is a file in Pipedrive, as Pipedrive returned it: a remote file (a Google Drive
// file linked to a deal, person or organization, RemoteLocation "googledrive") or, in
// what ListAll, Get, Update and the item lists return, an uploaded one (RemoteLocation
// "s3"). IsDriveFile tells them apart. Ids are 0 and strings empty when Pipedrive sent
// null or nothing.
//
// In JSON it has Pipedrive's own field names ("id", "user_id", "remote_id", ...), and
// AddTime and UpdateTime are written the way Pipedrive writes them, "YYYY-MM-DD HH:MM:SS"
// in UTC (null for the zero time), so a file encoded by your program reads like one from
// Pipedrive's API. See MarshalJSON.
type File struct {
	ID         int64  `json:"id"`      // the file's id in Pipedrive
	UserID     int64  `json:"user_id"` // the user who added it
	DealID     int64  `json:"deal_id"`
	PersonID   int64  `json:"person_id"`
	OrgID      int64  `json:"org_id"`
	ProductID  int64  `json:"product_id"`
	ActivityID int64  `json:"activity_id"`
	ProjectID  int64  `json:"project_id"`
	LeadID     string `json:"lead_id"` // a UUID, or empty

	Name           string   `json:"name"`      // the visible name (the title given to CreateRemote)
	FileName       string   `json:"file_name"` // the original file name
	FileType       FileType `json:"file_type"` // e.g. GoogleDoc; whatever Pipedrive sent
	FileSize       int64    `json:"file_size"`
	RemoteLocation string   `json:"remote_location"` // "googledrive" for a Drive file, "s3" for an upload; passed through as sent
	RemoteID       string   `json:"remote_id"`       // the Google Drive file id; an uploaded file's storage key
	URL            string   `json:"url"`             // Pipedrive's download URL for the file
	Description    string   `json:"description"`

	DealName    string `json:"deal_name"`
	PersonName  string `json:"person_name"`
	OrgName     string `json:"org_name"`
	ProductName string `json:"product_name"`
	LeadName    string `json:"lead_name"`
	ProjectName string `json:"project_name"`

	CID            string `json:"cid"` // inline attachment id
	S3Bucket       string `json:"s3_bucket"`
	MailMessageID  string `json:"mail_message_id"`
	MailTemplateID string `json:"mail_template_id"`

	ActiveFlag bool      `json:"active_flag"` // false once the file is marked deleted
	InlineFlag bool      `json:"inline_flag"`
	AddTime    time.Time `json:"add_time"`    // when the file was added, in UTC
	UpdateTime time.Time `json:"update_time"` // when it last changed, in UTC
}

// RemoteFile is the name File had before the library could list and read every file of
// the company, uploaded ones included. It is the same type, so code written for it
// compiles and behaves as before; new code should say File. It stays for the 0.x
// releases.
type RemoteFile = File

// DriveLocation is the remote_location of a Google Drive file, the only location the
// remote-file operations support.
const DriveLocation = "googledrive"

// IsDriveFile reports whether f is a Google Drive file linked to Pipedrive: its
// RemoteLocation is "googledrive". An uploaded file ("s3") is not, although it has a
// RemoteID too (its storage key).
func (f *File) IsDriveFile() bool { return f.RemoteLocation == DriveLocation }

// remoteFile is the file that one data object of a successful answer describes. A file
// with an id exists, so it is returned even when another field has an unexpected type
// or format (active_flag: 1, file_size: "0", add_time in another layout): such a field
// is left zero rather than failing a call that did create or link the file and inviting
// a duplicate. Only data that is not an object (the envelope's decoding fails), or has
// no positive integer id, is an error: then the caller cannot tell which file, if any,
// the answer is about.
func (w *wireFile) remoteFile() (*File, error) {
	f := w.file()
	if f.ID <= 0 {
		return nil, fmt.Errorf(`"data.id" is %s, not a positive integer`, describeJSON(json.RawMessage(w.ID)))
	}
	return &f, nil
}

// readFile reads raw, a JSON object, as a file: as the answers' data is read, with plain
// types first (see plainFile), and leniently (see wireFile) when that fails.
func readFile(raw []byte) (File, error) {
	var p plainFile
	if json.Unmarshal(raw, &p) == nil {
		return p.file(), nil
	}
	var w wireFile
	if json.Unmarshal(raw, &w) != nil {
		return File{}, errors.New("is not a JSON object")
	}
	return w.file(), nil
}

// plainFile is a file object decoded with plain types: File's fields by the same JSON
// names (Pipedrive's), the times as strings. A file as Pipedrive sends it decodes so with
// encoding/json alone, without a method call per field. Any value of another type fails
// the decoding, and the answer is then read leniently (wireFile), which gives the same
// file for everything plainFile reads: null leaves a field as it is in both, and they
// have the same JSON names (FuzzDecodePaths and TestDecodeFieldNames check it).
type plainFile struct {
	ID             int64  `json:"id"`
	UserID         int64  `json:"user_id"`
	DealID         int64  `json:"deal_id"`
	PersonID       int64  `json:"person_id"`
	OrgID          int64  `json:"org_id"`
	ProductID      int64  `json:"product_id"`
	ActivityID     int64  `json:"activity_id"`
	ProjectID      int64  `json:"project_id"`
	LeadID         string `json:"lead_id"`
	Name           string `json:"name"`
	FileName       string `json:"file_name"`
	FileType       string `json:"file_type"`
	FileSize       int64  `json:"file_size"`
	RemoteLocation string `json:"remote_location"`
	RemoteID       string `json:"remote_id"`
	URL            string `json:"url"`
	Description    string `json:"description"`
	DealName       string `json:"deal_name"`
	PersonName     string `json:"person_name"`
	OrgName        string `json:"org_name"`
	ProductName    string `json:"product_name"`
	LeadName       string `json:"lead_name"`
	ProjectName    string `json:"project_name"`
	CID            string `json:"cid"`
	S3Bucket       string `json:"s3_bucket"`
	MailMessageID  string `json:"mail_message_id"`
	MailTemplateID string `json:"mail_template_id"`
	ActiveFlag     bool   `json:"active_flag"`
	InlineFlag     bool   `json:"inline_flag"`
	AddTime        string `json:"add_time"`
	UpdateTime     string `json:"update_time"`
}

// remoteFile is remoteFile's plain reading: ok is false when there is no file (p is
// nil) or it has no positive id, for the lenient reading to say what is wrong.
func (p *plainFile) remoteFile() (_ *File, ok bool) {
	if p == nil || p.ID <= 0 {
		return nil, false
	}
	f := p.file()
	return &f, true
}

// file maps the fields, as wireFile's file does.
func (p *plainFile) file() File {
	return File{
		ID: p.ID, UserID: p.UserID, DealID: p.DealID, PersonID: p.PersonID, OrgID: p.OrgID,
		ProductID: p.ProductID, ActivityID: p.ActivityID, ProjectID: p.ProjectID, LeadID: p.LeadID,
		Name: p.Name, FileName: p.FileName, FileType: FileType(p.FileType), FileSize: p.FileSize,
		RemoteLocation: p.RemoteLocation, RemoteID: p.RemoteID, URL: p.URL, Description: p.Description,
		DealName: p.DealName, PersonName: p.PersonName, OrgName: p.OrgName, ProductName: p.ProductName,
		LeadName: p.LeadName, ProjectName: p.ProjectName, CID: p.CID, S3Bucket: p.S3Bucket,
		MailMessageID: p.MailMessageID, MailTemplateID: p.MailTemplateID,
		ActiveFlag: p.ActiveFlag, InlineFlag: p.InlineFlag,
		AddTime: parseTime(p.AddTime), UpdateTime: parseTime(p.UpdateTime),
	}
}

// wireFile is a file object as Pipedrive sends it, read leniently when plainFile cannot
// read it. Every field but the id (kept raw for error messages) has a lenient type whose
// UnmarshalJSON never fails: a value of another type or layout leaves it zero, and null
// leaves it as it is, as encoding/json leaves a plain field (which matters only when a
// key comes twice). Decoding into typed fields, rather than into a map read field by
// field, keeps a call's allocations close to a plain json.Unmarshal.
type wireFile struct {
	ID             rawJSON       `json:"id"`
	UserID         lenientInt    `json:"user_id"`
	DealID         lenientInt    `json:"deal_id"`
	PersonID       lenientInt    `json:"person_id"`
	OrgID          lenientInt    `json:"org_id"`
	ProductID      lenientInt    `json:"product_id"`
	ActivityID     lenientInt    `json:"activity_id"`
	ProjectID      lenientInt    `json:"project_id"`
	LeadID         lenientString `json:"lead_id"`
	Name           lenientString `json:"name"`
	FileName       lenientString `json:"file_name"`
	FileType       lenientString `json:"file_type"`
	FileSize       lenientInt    `json:"file_size"`
	RemoteLocation lenientString `json:"remote_location"`
	RemoteID       lenientString `json:"remote_id"`
	URL            lenientString `json:"url"`
	Description    lenientString `json:"description"`
	DealName       lenientString `json:"deal_name"`
	PersonName     lenientString `json:"person_name"`
	OrgName        lenientString `json:"org_name"`
	ProductName    lenientString `json:"product_name"`
	LeadName       lenientString `json:"lead_name"`
	ProjectName    lenientString `json:"project_name"`
	CID            lenientString `json:"cid"`
	S3Bucket       lenientString `json:"s3_bucket"`
	MailMessageID  lenientString `json:"mail_message_id"`
	MailTemplateID lenientString `json:"mail_template_id"`
	ActiveFlag     lenientBool   `json:"active_flag"`
	InlineFlag     lenientBool   `json:"inline_flag"`
	AddTime        lenientTime   `json:"add_time"`
	UpdateTime     lenientTime   `json:"update_time"`
}

// file is the one place a file's fields are mapped (for answers and for
// File.UnmarshalJSON).
func (w *wireFile) file() File {
	return File{
		ID: jsonInt(w.ID), UserID: int64(w.UserID), DealID: int64(w.DealID),
		PersonID: int64(w.PersonID), OrgID: int64(w.OrgID), ProductID: int64(w.ProductID),
		ActivityID: int64(w.ActivityID), ProjectID: int64(w.ProjectID), LeadID: string(w.LeadID),
		Name: string(w.Name), FileName: string(w.FileName), FileType: FileType(w.FileType),
		FileSize: int64(w.FileSize), RemoteLocation: string(w.RemoteLocation),
		RemoteID: string(w.RemoteID), URL: string(w.URL), Description: string(w.Description),
		DealName: string(w.DealName), PersonName: string(w.PersonName), OrgName: string(w.OrgName),
		ProductName: string(w.ProductName), LeadName: string(w.LeadName), ProjectName: string(w.ProjectName),
		CID: string(w.CID), S3Bucket: string(w.S3Bucket),
		MailMessageID: string(w.MailMessageID), MailTemplateID: string(w.MailTemplateID),
		ActiveFlag: bool(w.ActiveFlag), InlineFlag: bool(w.InlineFlag),
		AddTime: time.Time(w.AddTime), UpdateTime: time.Time(w.UpdateTime),
	}
}

// rawJSON is a JSON value as it was sent, for an error message. A null after another
// value leaves that value, as it would leave a plain field.
type rawJSON []byte

// UnmarshalJSON never fails: see rawJSON.
func (r *rawJSON) UnmarshalJSON(b []byte) error {
	if len(*r) == 0 || !isNullLiteral(b) {
		*r = append((*r)[:0], b...)
	}
	return nil
}

// isNullLiteral reports whether a value that encoding/json hands to UnmarshalJSON is null.
func isNullLiteral(b []byte) bool { return string(b) == "null" }

// lenientInt is a JSON integer (1234, also 1234.0 or 1.234e3); anything else is 0, and
// null leaves it as it is.
type lenientInt int64

// UnmarshalJSON never fails: see lenientInt.
func (n *lenientInt) UnmarshalJSON(b []byte) error {
	if !isNullLiteral(b) {
		*n = lenientInt(jsonInt(b))
	}
	return nil
}

// lenientString is a JSON string; anything else is "", and null leaves it as it is.
type lenientString string

// UnmarshalJSON never fails: see lenientString.
func (s *lenientString) UnmarshalJSON(b []byte) error {
	if !isNullLiteral(b) {
		*s = lenientString(jsonString(b))
	}
	return nil
}

// lenientBool is a JSON boolean; anything else is false, and null leaves it as it is.
type lenientBool bool

// UnmarshalJSON never fails: see lenientBool.
func (v *lenientBool) UnmarshalJSON(b []byte) error {
	if !isNullLiteral(b) {
		*v = string(b) == "true"
	}
	return nil
}

// lenientTime is Pipedrive's "YYYY-MM-DD HH:MM:SS" (UTC) or RFC 3339; anything else is
// the zero time, and null leaves it as it is.
type lenientTime time.Time

// UnmarshalJSON never fails: see lenientTime.
func (t *lenientTime) UnmarshalJSON(b []byte) error {
	if !isNullLiteral(b) {
		*t = lenientTime(parseTime(jsonString(b)))
	}
	return nil
}

// jsonInt reads a JSON integer (1234, also 1234.0 or 1.234e3); anything else is 0.
func jsonInt(raw []byte) int64 {
	// Only a JSON number starts with '-' or a digit: a string holding a number ("0")
	// is not an integer, and null, booleans, objects and lists are not numbers.
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0
	}
	if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0
	}
	return int64(f)
}

// jsonString reads a JSON string; anything else is "".
func jsonString(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	// Without escapes or invalid UTF-8 the text between the quotes is the string;
	// otherwise encoding/json decodes it (and replaces invalid bytes, as it always does).
	if inner := raw[1 : len(raw)-1]; !bytes.ContainsRune(inner, '\\') && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// parseTime reads Pipedrive's "YYYY-MM-DD HH:MM:SS" (UTC) or RFC 3339; anything else is
// the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{timeLayout, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// describeJSON names a JSON value for an error: "missing", or the value itself when it
// is short (the caller's redactor removes any secret from it).
func describeJSON(raw json.RawMessage) string {
	switch {
	case len(raw) == 0:
		return "missing"
	case len(raw) <= 100:
		return string(raw)
	}
	return "a long value"
}
