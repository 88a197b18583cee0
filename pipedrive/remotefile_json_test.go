package pipedrive_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// everyFieldWantJSON is everyFieldWant as MarshalJSON writes it: Pipedrive's names in the
// struct's order, the times in Pipedrive's layout.
const everyFieldWantJSON = `{"id":7195,"user_id":456,"deal_id":36,"person_id":2,"org_id":15,` +
	`"product_id":3,"activity_id":4,"project_id":5,"lead_id":"adf21080-0e10-11eb-879b-05d71fb426ec",` +
	`"name":"Proposal for John Doe","file_name":"Proposal.gdoc","file_type":"gdoc","file_size":1234,` +
	`"remote_location":"googledocs","remote_id":"1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c",` +
	`"url":"https://app.pipedrive.com/api/v1/files/7195/download","description":"Draft",` +
	`"deal_name":"test deal","person_name":"John Doe","org_name":"test org","product_name":"Widget",` +
	`"lead_name":"Test lead name 1","project_name":"Rollout","cid":"cid-1","s3_bucket":"bucket-1",` +
	`"mail_message_id":"mail-1","mail_template_id":"tmpl-1","active_flag":true,"inline_flag":true,` +
	`"add_time":"2020-02-21 11:52:28","update_time":"2020-02-29 23:59:59"}`

func TestRemoteFileJSONHasPipedriveNames(t *testing.T) {
	t.Parallel()
	got, err := json.Marshal(everyFieldWant)
	require.NoError(t, err)
	assert.Equal(t, everyFieldWantJSON, string(got))

	ptr, err := json.Marshal(&everyFieldWant)
	require.NoError(t, err)
	assert.Equal(t, string(got), string(ptr), "a *RemoteFile encodes the same")
}

func TestRemoteFileJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var back pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(everyFieldWantJSON), &back))
	assert.Equal(t, everyFieldWant, back)

	// The zero file: times are null, and come back zero.
	zero, err := json.Marshal(pipedrive.RemoteFile{})
	require.NoError(t, err)
	assert.Contains(t, string(zero), `"add_time":null,"update_time":null}`)
	back = pipedrive.RemoteFile{ID: 99}
	require.NoError(t, json.Unmarshal(zero, &back))
	assert.Equal(t, pipedrive.RemoteFile{}, back)
}

// Pipedrive's own "data" object decodes to what the client returns for it.
func TestRemoteFileJSONReadsPipedriveData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       pipedrive.RemoteFile
	}{
		{"every field", everyFieldJSON, everyFieldWant},
		{"nulls", nullEverywhereJSON, pipedrive.RemoteFile{ID: 7195, DealID: 36, AddTime: time.Date(2020, 2, 21, 11, 52, 28, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var env struct{ Data pipedrive.RemoteFile }
			require.NoError(t, json.Unmarshal([]byte(tc.body), &env))
			assert.Equal(t, tc.want, env.Data)
		})
	}
}

func TestRemoteFileJSONTimes(t *testing.T) {
	t.Parallel()
	// Written in UTC whatever the location, to the second.
	berlin := time.FixedZone("CET", 3600)
	b, err := json.Marshal(pipedrive.RemoteFile{AddTime: time.Date(2026, 1, 2, 3, 4, 5, 999, berlin)})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"add_time":"2026-01-02 02:04:05","update_time":null`)

	// RFC 3339 and "" are read too.
	var f pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal([]byte(`{"add_time":"2026-01-02T03:04:05+01:00","update_time":""}`), &f))
	assert.Equal(t, time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC), f.AddTime)
	assert.True(t, f.UpdateTime.IsZero())

	// Another layout or type is the zero time, as in an answer: one decoder for both.
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"add_time":5,"update_time":"02/01/2026","active_flag":1}`), &f))
	assert.Equal(t, pipedrive.RemoteFile{ID: 1}, f)
	err = json.Unmarshal([]byte(`[1]`), &f)
	require.EqualError(t, err, "pipedrive: File: the value is not a JSON object")
}

// Every field of RemoteFile survives MarshalJSON and UnmarshalJSON: a field added to the
// struct but not to the one decoder fails here.
func TestRemoteFileJSONDecodesEveryField(t *testing.T) {
	t.Parallel()
	var f pipedrive.RemoteFile
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		field := v.Field(i)
		switch field.Kind() {
		case reflect.Int64:
			field.SetInt(int64(100 + i))
		case reflect.String:
			field.SetString(fmt.Sprintf("value-%d", i))
		case reflect.Bool:
			field.SetBool(true)
		case reflect.Struct:
			require.Equal(t, reflect.TypeFor[time.Time](), field.Type(), v.Type().Field(i).Name)
			field.Set(reflect.ValueOf(time.Date(2020, 2, 21, i, 52, 28, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %s: teach this test to set it", v.Type().Field(i).Name, field.Kind())
		}
	}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	var back pipedrive.RemoteFile
	require.NoError(t, json.Unmarshal(b, &back))
	bv := reflect.ValueOf(back)
	for i := range v.NumField() {
		assert.Equal(t, v.Field(i).Interface(), bv.Field(i).Interface(), "field %s, from %s", v.Type().Field(i).Name, b)
	}
}
