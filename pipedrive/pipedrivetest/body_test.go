package pipedrivetest_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// multipartBody encodes fields (name, value pairs, in order) as multipart/form-data, as
// PHP's CURLOPT_POSTFIELDS with an array does.
func multipartBody(t *testing.T, fields ...string) (contentType, body string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		require.NoError(t, w.WriteField(fields[i], fields[i+1]))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), b.String()
}

// The same create and link, sent as a form, as JSON and as multipart/form-data to three
// servers with the same clock, get byte-identical 200 answers and store the same files.
func TestJSONAndMultipartBodiesAreAnsweredLikeForms(t *testing.T) {
	t.Parallel()
	createMP, createMPBody := multipartBody(t, "file_type", "gdoc", "title", "Hello & wörld", "item_type", "deal", "item_id", "12", "remote_location", "googledrive")
	linkMP, linkMPBody := multipartBody(t, "item_type", "person", "item_id", "5", "remote_id", "123magicfile123", "remote_location", "googledrive")
	encodings := []struct {
		name               string
		createType, create string
		linkType, link     string
	}{
		{"form",
			"application/x-www-form-urlencoded", "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Hello+%26+w%C3%B6rld",
			"application/x-www-form-urlencoded", "item_id=5&item_type=person&remote_id=123magicfile123&remote_location=googledrive"},
		{"json",
			"application/json", `{"file_type":"gdoc","title":"Hello & wörld","item_type":"deal","item_id":12,"remote_location":"googledrive"}`,
			"application/json; charset=utf-8", `{"item_type":"person","item_id":"5","remote_id":"123magicfile123","remote_location":"googledrive"}`},
		{"multipart", createMP, createMPBody, linkMP, linkMPBody},
	}
	var want []string
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			srv := pipedrivetest.NewServer(pipedrivetest.WithClock(pipedrivetest.NewClock(start).Now))
			defer srv.Close()
			status, _, created := post(t, srv, "/files/remote", enc.createType, enc.create, tokenHeader(srv))
			require.Equal(t, http.StatusOK, status, created)
			status, _, linked := post(t, srv, "/files/remoteLink", enc.linkType, enc.link, tokenHeader(srv))
			require.Equal(t, http.StatusOK, status, linked)
			reqs := srv.Requests()
			assert.Equal(t, "Hello & wörld", reqs[0].Form.Get("title"), "Form holds the decoded fields")
			assert.Equal(t, "5", reqs[1].Form.Get("item_id"))
			assert.Equal(t, enc.create, reqs[0].Body, "Body is what was sent")
			got := []string{created, linked}
			if want == nil {
				want = got
				return
			}
			assert.Equal(t, want, got, "the same answers as for the form bodies")
		})
	}
	require.Len(t, want, 2)
}

// A JSON or multipart body that breaks a rule is refused with the form's answer; what
// only JSON or multipart can get wrong is refused naming it; text/plain is a 400 (Pipedrive documents 415 as "Feature is not enabled").
func TestJSONAndMultipartBodiesAreValidatedLikeForms(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	const form, jsonType = "application/x-www-form-urlencoded", "application/json"
	fileMP, fileMPBody := func() (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		part, err := w.CreateFormFile("title", "title.txt")
		require.NoError(t, err)
		_, _ = part.Write([]byte("x"))
		require.NoError(t, w.Close())
		return w.FormDataContentType(), b.String()
	}()
	twiceMP, twiceMPBody := multipartBody(t, "item_id", "12", "item_id", "13", "item_type", "deal", "remote_id", "abc", "remote_location", "googledrive")
	for _, tc := range []struct {
		name, path, contentType, body string
		sameAs                        string // a form body that gets the same answer, or ""
		status                        int
		msg                           string
	}{
		{"bad item id", "/files/remote", jsonType, `{"file_type":"gdoc","item_id":"twelve","item_type":"deal","remote_location":"googledrive","title":"x"}`,
			"file_type=gdoc&item_id=twelve&item_type=deal&remote_location=googledrive&title=x", http.StatusBadRequest, ""},
		{"fractional item id", "/files/remote", jsonType, `{"file_type":"gdoc","item_id":12.5,"item_type":"deal","remote_location":"googledrive","title":"x"}`,
			"file_type=gdoc&item_id=12.5&item_type=deal&remote_location=googledrive&title=x", http.StatusBadRequest, ""},
		{"bad enum and missing field", "/files/remoteLink", jsonType, `{"item_id":12,"item_type":"lead","remote_location":"googledrive"}`,
			"item_id=12&item_type=lead&remote_location=googledrive", http.StatusBadRequest, ""},
		{"unexpected field", "/files/remoteLink", jsonType, `{"item_id":12,"item_type":"deal","remote_id":"abc","remote_location":"googledrive","file":"x"}`,
			"item_id=12&item_type=deal&remote_id=abc&remote_location=googledrive&file=x", http.StatusBadRequest, ""},
		{"null is absent", "/files/remoteLink", jsonType, `{"item_id":12,"item_type":"deal","remote_id":null,"remote_location":"googledrive"}`,
			"item_id=12&item_type=deal&remote_location=googledrive", http.StatusBadRequest, ""},
		{"key twice", "/files/remoteLink", jsonType, `{"item_id":12,"item_id":13,"item_type":"deal","remote_id":"abc","remote_location":"googledrive"}`,
			"item_id=12&item_id=13&item_type=deal&remote_id=abc&remote_location=googledrive", http.StatusBadRequest, ""},
		{"empty JSON", "/files/remote", jsonType, ``, "", http.StatusBadRequest,
			"Invalid input: the request body is empty; required fields: file_type, title, item_type, item_id, remote_location"},
		{"multipart field twice", "/files/remoteLink", twiceMP, twiceMPBody,
			"item_id=12&item_id=13&item_type=deal&remote_id=abc&remote_location=googledrive", http.StatusBadRequest, ""},
		{"malformed JSON", "/files/remote", jsonType, `{"file_type":"gdoc",`, "", http.StatusBadRequest,
			"Invalid input: the JSON body could not be decoded: it ends early"},
		{"JSON array", "/files/remote", jsonType, `[1]`, "", http.StatusBadRequest, "Invalid input: the JSON body must be an object"},
		{"JSON object field", "/files/remote", jsonType, `{"title":{"text":"x"}}`, "", http.StatusBadRequest,
			"Invalid input: title - must be a string, a number or a boolean"},
		{"JSON trailing data", "/files/remote", jsonType, `{} {}`, "", http.StatusBadRequest, "Invalid input: the JSON body has data after the object"},
		{"multipart file", "/files/remote", fileMP, fileMPBody, "", http.StatusBadRequest, "Invalid input: title - must be a text field, not a file"},
		{"multipart without boundary", "/files/remote", "multipart/form-data", "x", "", http.StatusBadRequest,
			"Invalid input: the multipart body has no boundary parameter in its Content-Type"},
		{"text", "/files/remote", "text/plain", `{"file_type":"gdoc"}`, "", http.StatusBadRequest,
			`Unsupported content type "text/plain": send the body as application/x-www-form-urlencoded, application/json or multipart/form-data`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := post(t, srv, tc.path, tc.contentType, tc.body, tokenHeader(srv))
			assert.Equal(t, tc.status, status, body)
			if tc.sameAs != "" {
				formStatus, _, formBody := post(t, srv, tc.path, form, tc.sameAs, tokenHeader(srv))
				assert.Equal(t, formStatus, status)
				assert.Equal(t, formBody, body)
				assert.Contains(t, body, `"error":"Invalid input: `)
			} else {
				assert.Equal(t, envelope(tc.status, tc.msg), body)
			}
		})
	}
	assert.Empty(t, srv.Files())

	// A body that does not decode is refused only once the credential is checked.
	status, _, body := post(t, srv, "/files/remote", jsonType, `{"file_type":`, nil)
	assert.Equal(t, http.StatusUnauthorized, status, body)
}
