package pipedrive

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// timeLayout is Pipedrive's date-time format: UTC without a zone marker.
const timeLayout = "2006-01-02 15:04:05"

// RemoteFile is a file linked to a Pipedrive item, as Pipedrive returned it. Ids are 0 and
// strings empty when Pipedrive sent null or nothing.
//
// In JSON it has Pipedrive's own field names ("id", "user_id", "remote_id", ...), and
// AddTime and UpdateTime are written the way Pipedrive writes them, "YYYY-MM-DD HH:MM:SS"
// in UTC (null for the zero time), so a file encoded by your program reads like one from
// Pipedrive's API. See MarshalJSON.
type RemoteFile struct {
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
	RemoteLocation string   `json:"remote_location"` // "googledrive" in practice; passed through as sent
	RemoteID       string   `json:"remote_id"`       // the Google Drive file id
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

	ActiveFlag bool      `json:"active_flag"`
	InlineFlag bool      `json:"inline_flag"`
	AddTime    time.Time `json:"add_time"`    // when the file was added, in UTC
	UpdateTime time.Time `json:"update_time"` // when it last changed, in UTC
}

// decodeFile reads one file object of a successful answer. A file with an id exists, so
// it is returned even when another field has an unexpected type or format (active_flag:
// 1, file_size: "0", add_time in another layout): such a field is left zero rather than
// failing a call that did create or link the file and inviting a duplicate. Only data
// that is not an object, or has no positive integer id, is an error: then the caller
// cannot tell which file, if any, the answer is about.
func decodeFile(raw json.RawMessage) (*RemoteFile, error) {
	d, err := fileObject(raw)
	if err != nil {
		return nil, fmt.Errorf(`"data" %w`, err)
	}
	f := fileFromObject(d)
	if f.ID <= 0 {
		return nil, fmt.Errorf(`"data.id" is %s, not a positive integer`, describeJSON(d["id"]))
	}
	return &f, nil
}

// fileObject reads raw as a JSON object, field by field.
func fileObject(raw []byte) (map[string]json.RawMessage, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil || d == nil {
		return nil, errors.New("is not a JSON object")
	}
	return d, nil
}

// fileFromObject is the one place a file's fields are read (for answers and for
// RemoteFile.UnmarshalJSON): each one of the expected type, any other value zero.
func fileFromObject(d map[string]json.RawMessage) RemoteFile {
	return RemoteFile{
		ID: jsonInt(d["id"]), UserID: jsonInt(d["user_id"]), DealID: jsonInt(d["deal_id"]),
		PersonID: jsonInt(d["person_id"]), OrgID: jsonInt(d["org_id"]),
		ProductID: jsonInt(d["product_id"]), ActivityID: jsonInt(d["activity_id"]),
		ProjectID: jsonInt(d["project_id"]), LeadID: jsonString(d["lead_id"]),
		Name: jsonString(d["name"]), FileName: jsonString(d["file_name"]),
		FileType: FileType(jsonString(d["file_type"])), FileSize: jsonInt(d["file_size"]),
		RemoteLocation: jsonString(d["remote_location"]), RemoteID: jsonString(d["remote_id"]),
		URL: jsonString(d["url"]), Description: jsonString(d["description"]),
		DealName: jsonString(d["deal_name"]), PersonName: jsonString(d["person_name"]),
		OrgName: jsonString(d["org_name"]), ProductName: jsonString(d["product_name"]),
		LeadName: jsonString(d["lead_name"]), ProjectName: jsonString(d["project_name"]),
		CID: jsonString(d["cid"]), S3Bucket: jsonString(d["s3_bucket"]),
		MailMessageID: jsonString(d["mail_message_id"]), MailTemplateID: jsonString(d["mail_template_id"]),
		ActiveFlag: jsonBool(d["active_flag"]), InlineFlag: jsonBool(d["inline_flag"]),
		AddTime: jsonTime(d["add_time"]), UpdateTime: jsonTime(d["update_time"]),
	}
}

// jsonInt reads a JSON integer (1234, also 1234.0 or 1.234e3); anything else is 0.
func jsonInt(raw json.RawMessage) int64 {
	var n json.Number
	// A json.Number also accepts a string holding a number ("0"); that is not an integer.
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0
	}
	return int64(f)
}

// jsonString reads a JSON string; anything else is "".
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonBool reads a JSON boolean; anything else is false.
func jsonBool(raw json.RawMessage) bool {
	return string(raw) == "true"
}

// jsonTime reads Pipedrive's "YYYY-MM-DD HH:MM:SS" (UTC) or RFC 3339; anything else is
// the zero time.
func jsonTime(raw json.RawMessage) time.Time {
	s := jsonString(raw)
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
