package pipedrive

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
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

// decodeFile decodes one file object of a response, the single place where the files of
// every operation's answer are read.
func decodeFile(raw json.RawMessage) (*RemoteFile, error) {
	var d gen.RemoteFile
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	return newRemoteFile(&d)
}

// newRemoteFile maps the generated type; a time that is not in Pipedrive's format is an
// error naming the field.
func newRemoteFile(d *gen.RemoteFile) (*RemoteFile, error) {
	add, err := parseTime("add_time", d.AddTime)
	if err != nil {
		return nil, err
	}
	upd, err := parseTime("update_time", d.UpdateTime)
	if err != nil {
		return nil, err
	}
	return &RemoteFile{
		ID: d.ID, UserID: d.UserID, DealID: d.DealID, PersonID: d.PersonID, OrgID: d.OrgID,
		ProductID: d.ProductID, ActivityID: d.ActivityID, ProjectID: d.ProjectID, LeadID: d.LeadID,
		Name: d.Name, FileName: d.FileName, FileType: FileType(d.FileType), FileSize: d.FileSize,
		RemoteLocation: d.RemoteLocation, RemoteID: d.RemoteID, URL: d.URL, Description: d.Description,
		DealName: d.DealName, PersonName: d.PersonName, OrgName: d.OrgName, ProductName: d.ProductName,
		LeadName: d.LeadName, ProjectName: d.ProjectName,
		CID: d.Cid, S3Bucket: d.S3Bucket, MailMessageID: d.MailMessageID, MailTemplateID: d.MailTemplateID,
		ActiveFlag: d.ActiveFlag, InlineFlag: d.InlineFlag, AddTime: add, UpdateTime: upd,
	}, nil
}

// parseTime reads "YYYY-MM-DD HH:MM:SS" (or RFC 3339) as UTC; empty (or null) is the zero
// time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Accept RFC 3339 too, should Pipedrive ever add a zone: failing a call that did
		// create the file would invite a duplicate.
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, fmt.Errorf("%s %q is not YYYY-MM-DD HH:MM:SS", field, s)
		}
	}
	return t.UTC(), nil
}
