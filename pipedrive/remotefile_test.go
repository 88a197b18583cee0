package pipedrive_test

import (
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// everyFieldJSON gives every field of data a distinct value, so a field mapped from the
// wrong key shows up, and adds what Pipedrive really sends besides: unknown keys
// (log_id, a nested object), remote_location "googledocs" and project fields.
const everyFieldJSON = `{
  "success": true,
  "data": {
    "id": 7195, "user_id": 456, "deal_id": 36, "person_id": 2, "org_id": 15, "product_id": 3,
    "activity_id": 4, "project_id": 5, "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec",
    "log_id": null, "add_time": "2020-02-21 11:52:28", "update_time": "2020-02-29 23:59:59",
    "file_name": "Proposal.gdoc", "file_type": "gdoc", "file_size": 1234,
    "active_flag": true, "inline_flag": true, "remote_location": "googledocs",
    "remote_id": "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", "cid": "cid-1",
    "s3_bucket": "bucket-1", "mail_message_id": "mail-1", "mail_template_id": "tmpl-1",
    "deal_name": "test deal", "person_name": "John Doe", "org_name": "test org",
    "product_name": "Widget", "lead_name": "Test lead name 1", "project_name": "Rollout",
    "url": "https://app.pipedrive.com/api/v1/files/7195/download",
    "name": "Proposal for John Doe", "description": "Draft",
    "unknown_object": {"nested": [1, {"deeper": null}], "flag": false},
    "unknown_list": ["a", 2, null]
  },
  "additional_data": {"pagination": null},
  "related_objects": {"user": {"456": {"id": 456, "name": "Owner"}}}
}`

var everyFieldWant = pipedrive.RemoteFile{
	ID: 7195, UserID: 456, DealID: 36, PersonID: 2, OrgID: 15, ProductID: 3, ActivityID: 4, ProjectID: 5,
	LeadID: "adf21080-0e10-11eb-879b-05d71fb426ec",
	Name:   "Proposal for John Doe", FileName: "Proposal.gdoc", FileType: pipedrive.GoogleDoc, FileSize: 1234,
	RemoteLocation: "googledocs", RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c",
	URL:         "https://app.pipedrive.com/api/v1/files/7195/download",
	Description: "Draft",
	DealName:    "test deal", PersonName: "John Doe", OrgName: "test org", ProductName: "Widget",
	LeadName: "Test lead name 1", ProjectName: "Rollout",
	CID: "cid-1", S3Bucket: "bucket-1", MailMessageID: "mail-1", MailTemplateID: "tmpl-1",
	ActiveFlag: true, InlineFlag: true,
	AddTime:    time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC),
	UpdateTime: time.Date(2020, 2, 29, 23, 59, 59, 0, time.UTC),
}

// nullEverywhereJSON is the upstream example with null in place of every value that a
// real response has been seen to null (file_size broke a .NET client), and more.
const nullEverywhereJSON = `{"success":true,"data":{
  "id":7195,"user_id":null,"deal_id":36,"person_id":null,"org_id":null,"product_id":null,
  "activity_id":null,"project_id":null,"lead_id":null,"log_id":null,
  "add_time":"2020-02-21 11:52:28","update_time":null,"file_name":null,"file_type":null,
  "file_size":null,"active_flag":null,"inline_flag":null,"remote_location":null,"remote_id":null,
  "cid":null,"s3_bucket":null,"mail_message_id":null,"mail_template_id":null,"deal_name":null,
  "person_name":null,"org_name":null,"product_name":null,"lead_name":null,"project_name":null,
  "url":null,"name":null,"description":null}}`

func TestDecodeEveryField(t *testing.T) {
	t.Parallel()
	for _, op := range bothOperations {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, everyFieldJSON))
			c := newClient(t, api.baseURL())

			f, err := op.call(t.Context(), c)
			require.NoError(t, err)
			require.NotNil(t, f)
			assert.Equal(t, everyFieldWant, *f)
			// Every field is set, so a field that is never decoded (one added to RemoteFile
			// later, say) cannot pass for a zero in the fixture.
			v := reflect.ValueOf(*f)
			for i := range v.NumField() {
				assert.False(t, v.Field(i).IsZero(), "RemoteFile.%s was not decoded", v.Type().Field(i).Name)
			}
			assert.Equal(t, time.UTC, f.AddTime.Location())
			assert.Equal(t, time.UTC, f.UpdateTime.Location())
			assert.Equal(t, int64(1582285948), f.AddTime.Unix(), "no zone marker means UTC, not local time")
		})
	}
}

func TestDecodeUpstreamExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op   fileOperation
		body string
		want pipedrive.RemoteFile
	}{
		{bothOperations[0], upstreamCreateExampleJSON, pipedrive.RemoteFile{
			ID: 7195, UserID: 456, DealID: 36, PersonID: 1, OrgID: 15, ProductID: 1, ActivityID: 1,
			LeadID:   "adf21080-0e10-11eb-879b-05d71fb426ec",
			FileType: pipedrive.GoogleDoc, RemoteLocation: "googledocs", RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c",
			DealName: "test deal", OrgName: "test org", LeadName: "Test lead name 1",
			URL: "https://app.pipedrive.com/api/v1/files/7195/download", Name: "Test title for remote file",
			ActiveFlag: true,
			AddTime:    time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC),
			UpdateTime: time.Date(2020, 2, 21, 11, 52, 24, 0, time.UTC),
		}},
		{bothOperations[1], upstreamLinkExampleJSON, pipedrive.RemoteFile{
			ID: 7196, UserID: 456, DealID: 35, PersonID: 1, OrgID: 1, ProductID: 1, ActivityID: 1,
			LeadID:   "adf21080-0e10-11eb-879b-05d71fb426ec",
			FileName: "Test title to remote file", FileType: pipedrive.GoogleDoc,
			RemoteLocation: "googledocs", RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c",
			DealName: "Test deal name", PersonName: "Test person name", LeadName: "Test lead name",
			URL: "https://app.pipedrive.com/api/v1/files/7196/download", Name: "Test title for remote file",
			ActiveFlag: true,
			AddTime:    time.Date(2020, 2, 21, 12, 2, 37, 0, time.UTC),
			UpdateTime: time.Date(2020, 2, 21, 12, 2, 37, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, tt.body))
			f, err := tt.op.call(t.Context(), newClient(t, api.baseURL()))
			require.NoError(t, err)
			assert.Equal(t, tt.want, *f)
		})
	}
}

func TestDecodeNulls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want pipedrive.RemoteFile
	}{
		{"null in every field but id, deal and add_time", nullEverywhereJSON, pipedrive.RemoteFile{
			ID: 7195, DealID: 36, AddTime: time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC),
		}},
		{"empty time strings", `{"success":true,"data":{"id":1,"add_time":"","update_time":""}}`, pipedrive.RemoteFile{ID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, tt.body))
			f, err := newClient(t, api.baseURL()).Files.CreateRemote(t.Context(), validCreate())
			require.NoError(t, err)
			assert.Equal(t, tt.want, *f)
			assert.True(t, f.UpdateTime.IsZero())
		})
	}
}

// A response without Content-Length (chunked, as proxies often send) decodes the same.
func TestDecodeChunkedResponse(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		half := len(everyFieldJSON) / 2
		_, _ = io.WriteString(w, everyFieldJSON[:half])
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, everyFieldJSON[half:])
	})
	f, err := newClient(t, api.baseURL()).Files.LinkRemote(t.Context(), validLink())
	require.NoError(t, err)
	assert.Equal(t, everyFieldWant, *f)
}
