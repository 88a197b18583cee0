package pipedrive

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeSeeds are answers and file objects for FuzzDecodePaths and the tests below: the
// common answers, and the cases where the plain and the lenient readings could part
// (nulls after values, keys in another case, numbers and strings of other types, escapes,
// a data object given twice).
var decodeSeeds = []string{
	// As Pipedrive sends a create's answer (the benchserver's body).
	`{"success":true,"data":{"id":7195,"user_id":8877,"deal_id":12,"person_id":null,"org_id":null,"product_id":null,"activity_id":null,"lead_id":null,"log_id":null,"add_time":"2020-09-09 09:09:09","update_time":"2020-09-10 10:11:12","file_name":"","file_type":"gdoc","file_size":null,"active_flag":true,"inline_flag":false,"remote_location":"googledrive","remote_id":"1kDv3ABCdefGHIjkl","cid":"","s3_bucket":"","mail_message_id":"","mail_template_id":"","deal_name":"Big deal","person_name":"","org_name":"","product_name":"","lead_name":"","url":"https://app.pipedrive.com/api/v1/files/7195/download","name":"New proposal for John Doe","description":""}}`,
	`{"success":true,"data":{"id":7195,"user_id":13214125,"deal_id":36,"person_id":1427,"org_id":15,"product_id":null,"activity_id":null,"project_id":null,"lead_id":"adf21080-0e10-11eb-879b-05d71fb426ec","log_id":null,"add_time":"2024-02-21 11:52:28","update_time":"2024-02-21 11:52:29","file_name":"Proposal for John Doe","file_type":"gdoc","file_size":0,"active_flag":true,"inline_flag":false,"remote_location":"googledrive","remote_id":"1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c","cid":"","s3_bucket":"","mail_message_id":"","mail_template_id":"","deal_name":"Acme","person_name":"John Doe","org_name":"Acme Corporation","product_name":"","lead_name":"Lead","project_name":"","url":"https://acme.pipedrive.com/api/v1/files/7195/download","name":"Proposal for John Doe","description":"Draft"},"additional_data":null}`,
	// A list's page.
	`{"success":true,"data":[{"id":1,"name":"a","add_time":"2020-01-01 00:00:00"},{"id":2,"active_flag":false,"update_time":"2020-01-02T03:04:05+02:00"}],"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":true,"next_start":2}}}`,
	`{"success":true,"data":null,"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`,
	`{"success":true,"data":[null]}`,
	`{"success":true,"data":[]}`,
	// A null after a value, keys in another case, the same key twice.
	`{"success":true,"data":{"id":5,"user_id":3,"user_id":null,"name":"a","NAME":null,"Active_Flag":true,"active_flag":null,"add_time":"2020-01-01 00:00:00","add_time":null,"id":null}}`,
	`{"success":true,"data":{"id":null,"id":6,"name":null,"name":"b"}}`,
	`{"success":true,"data":{"id":1,"name":"x"},"data":{"id":2,"deal_id":null}}`,
	`{"success":true,"data":{"id":1,"name":"x"},"data":null,"data":{"id":3}}`,
	`{"success":true,"success":false,"data":{"id":1}}`,
	// Values of other types and layouts, which the plain reading refuses.
	`{"success":true,"data":{"id":5,"active_flag":1,"file_size":"0","deal_id":1.0e3,"name":7,"add_time":"2020-01-01T00:00:00Z","update_time":"yesterday"}}`,
	`{"success":true,"data":{"id":1.0,"user_id":-0,"org_id":9223372036854775808}}`,
	`{"success":true,"data":{"id":"7195"}}`,
	`{"success":true,"data":{"id":0}}`,
	`{"success":true,"data":{"id":-3}}`,
	`{"success":true,"data":{}}`,
	`{"success":true,"data":[1]}`,
	`{"success":true,"data":"x","additional_data":{"pagination":"y"}}`,
	`{"success":"true","data":{"id":1}}`,
	`{"success":false,"error":"Item not found","data":null}`,
	// Escapes and bytes that are not UTF-8.
	`{"success":true,"data":{"id":1,"name":"caf\u00e9 \ud800 \"q\"","description":"a` + "\xff\xfe" + `b","remote_id":"\/x"}}`,
	// A file object alone, as File.UnmarshalJSON reads it.
	`{"id":7,"name":"n","add_time":"2020-02-21 11:52:28","file_size":null}`,
	`{"id":7,"name":null,"name":"m","file_size":1e2}`,
	`null`,
	`[]`,
	`"x"`,
	``,
	`{"success":true,"data":{"id":1}`,
}

// FuzzDecodePaths checks that the plain reading of an answer (plainFile, with plain types)
// gives what the lenient one (wireFile) gives, for the answers about one file (create,
// link, GET and PUT /files/{id}), list pages and File.UnmarshalJSON: whenever the plain
// reading succeeds, the lenient one succeeds too, with an identical result.
func FuzzDecodePaths(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodePaths(t, body, fileAnswer)
		if f, ok := fileAnswer.plain(body); ok {
			checkDecodePaths(t, body, fileAnswerFor(f.ID))
			checkDecodePaths(t, body, fileAnswerFor(f.ID+1))
		}
		checkDecodePaths(t, body, pageAnswer)
		checkReadFile(t, body)
	})
}

// checkDecodePaths fails when r's plain reading of body succeeds and its lenient reading
// does not give the same.
func checkDecodePaths[D, T any](t *testing.T, body []byte, r reader[D, T]) {
	t.Helper()
	plain, ok := r.plain(body)
	if !ok {
		return
	}
	var env envelope[D]
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("read plainly, but the lenient reading fails: %v\nbody: %q", err, body)
	}
	if !env.Success {
		t.Fatalf("read plainly, but the lenient reading has success false\nbody: %q", body)
	}
	lenient, err := r.lenient(env)
	if err != nil {
		t.Fatalf("read plainly, but the lenient reading fails: %v\nbody: %q", err, body)
	}
	if !reflect.DeepEqual(plain, lenient) {
		t.Fatalf("the readings differ\nplain:   %+v\nlenient: %+v\nbody: %q", plain, lenient, body)
	}
}

// checkReadFile is checkDecodePaths for a file object alone (File.UnmarshalJSON).
func checkReadFile(t *testing.T, body []byte) {
	t.Helper()
	var p plainFile
	if json.Unmarshal(body, &p) != nil {
		return
	}
	var w wireFile
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("read plainly, but the lenient reading fails: %v\nbody: %q", err, body)
	}
	if plain, lenient := p.file(), w.file(); !reflect.DeepEqual(plain, lenient) {
		t.Fatalf("the readings differ\nplain:   %+v\nlenient: %+v\nbody: %q", plain, lenient, body)
	}
}

// The common answers take the plain reading; the rest take the lenient one, as does an
// answer about another file than the one asked about.
func TestDecodePathsTaken(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]bool{0: true, 1: true, 6: true, 7: true, 8: true, 9: true, 11: false, 12: false, 13: false, 14: false, 15: false, 16: false, 19: false, 20: false, 21: true} {
		_, ok := fileAnswer.plain([]byte(decodeSeeds[i]))
		if ok != want {
			t.Errorf("seed %d read plainly: %v, want %v", i, ok, want)
		}
	}
	if _, ok := pageAnswer.plain([]byte(decodeSeeds[2])); !ok {
		t.Error("a list page is not read plainly")
	}
	if _, ok := fileAnswerFor(7195).plain([]byte(decodeSeeds[0])); !ok {
		t.Error("an answer about the file asked about is not read plainly")
	}
	if _, ok := fileAnswerFor(7196).plain([]byte(decodeSeeds[0])); ok {
		t.Error("an answer about another file is read plainly")
	}
}

// A null after a value leaves the value, in both readings, as encoding/json leaves a
// plain field; the other seeds read the same either way.
func TestDecodePathsAgree(t *testing.T) {
	t.Parallel()
	for _, s := range decodeSeeds {
		checkDecodePaths(t, []byte(s), fileAnswer)
		checkDecodePaths(t, []byte(s), pageAnswer)
		checkReadFile(t, []byte(s))
	}
	f, ok := fileAnswer.plain([]byte(decodeSeeds[6]))
	if !ok || f.ID != 5 || f.UserID != 3 || f.Name != "a" || !f.ActiveFlag || f.AddTime.IsZero() {
		t.Errorf("nulls after values: got %+v, %v", f, ok)
	}
}

// BenchmarkDecodePaths compares the two readings of a create's answer.
func BenchmarkDecodePaths(b *testing.B) {
	body := []byte(decodeSeeds[1])
	b.Run("path=plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := fileAnswer.plain(body); !ok {
				b.Fatal("not read")
			}
		}
	})
	b.Run("path=lenient", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope[*wireFile]
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
			if _, err := fileAnswer.lenient(env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// plainFile, wireFile and File have the same JSON names, in the same order, so both
// readings fill the same fields.
func TestDecodeFieldNames(t *testing.T) {
	t.Parallel()
	names := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Tag.Get("json"))
		}
		return out
	}
	want := names(File{})
	if got := names(plainFile{}); !reflect.DeepEqual(got, want) {
		t.Errorf("plainFile's JSON names %v, want File's %v", got, want)
	}
	if got := names(wireFile{}); !reflect.DeepEqual(got, want) {
		t.Errorf("wireFile's JSON names %v, want File's %v", got, want)
	}
}
