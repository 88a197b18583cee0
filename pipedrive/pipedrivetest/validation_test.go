package pipedrivetest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// Requests the client would never send, posted raw: the fake must refuse each as
// Pipedrive would, naming the field, and store nothing.
func TestInvalidRequestsAreRefused(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	const form = "application/x-www-form-urlencoded"
	const create = "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Proposal"
	const link = "item_id=12&item_type=deal&remote_id=123magicfile123&remote_location=googledrive"

	for _, tc := range []struct {
		name, path, contentType, body string
		status                        int
		msg                           string
	}{
		{"text body", "/files/remote", "text/plain", create, http.StatusBadRequest,
			`Unsupported content type "text/plain": send the body as application/x-www-form-urlencoded, application/json or multipart/form-data`},
		{"no content type", "/files/remoteLink", "", link, http.StatusBadRequest,
			`Unsupported content type "": send the body as application/x-www-form-urlencoded, application/json or multipart/form-data`},
		{"empty body", "/files/remote", form, "", http.StatusBadRequest,
			"Invalid input: the request body is empty; required fields: file_type, title, item_type, item_id, remote_location"},
		{"missing title", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive", http.StatusBadRequest,
			"Invalid input: title - This field is required."},
		{"two fields missing", "/files/remoteLink", form, "item_id=12&item_type=deal", http.StatusBadRequest,
			"Invalid input: remote_id - This field is required.; remote_location - This field is required."},
		{"blank title", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=+++", http.StatusBadRequest,
			`Invalid input: title - must match the pattern ^[^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\p{Cf}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\uFFF0-\uFFF8][^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*$, got "   "`},
		{"invisible title", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=%E2%80%8B%E3%85%A4", http.StatusBadRequest, ""},
		{"newline in title", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=a%0Ab", http.StatusBadRequest, ""},
		{"remote id with a dot", "/files/remoteLink", form, "item_id=12&item_type=deal&remote_id=..&remote_location=googledrive", http.StatusBadRequest,
			`Invalid input: remote_id - must match the pattern ^[A-Za-z0-9_-]+$, got ".."`},
		{"bad file type", "/files/remote", form, "file_type=docx&item_id=12&item_type=deal&remote_location=googledrive&title=x", http.StatusBadRequest,
			`Invalid input: file_type - must be one of "gdoc", "gslides", "gsheet", "gform", "gdraw", got "docx"`},
		{"bad item type", "/files/remoteLink", form, "item_id=12&item_type=lead&remote_id=abc&remote_location=googledrive", http.StatusBadRequest,
			`Invalid input: item_type - must be one of "deal", "organization", "person", got "lead"`},
		{"bad location", "/files/remoteLink", form, "item_id=12&item_type=deal&remote_id=abc&remote_location=dropbox", http.StatusBadRequest,
			`Invalid input: remote_location - must be one of "googledrive", got "dropbox"`},
		{"item id not a number", "/files/remote", form, "file_type=gdoc&item_id=twelve&item_type=deal&remote_location=googledrive&title=x", http.StatusBadRequest,
			`Invalid input: item_id - must be an integer, got "twelve"`},
		{"item id zero", "/files/remoteLink", form, "item_id=0&item_type=deal&remote_id=abc&remote_location=googledrive", http.StatusBadRequest,
			"Invalid input: item_id - number must be at least 1"},
		{"remote id is a URL", "/files/remoteLink", form,
			"item_id=12&item_type=deal&remote_id=https%3A%2F%2Fdocs.google.com%2Fdocument%2Fd%2Fabc&remote_location=googledrive", http.StatusBadRequest,
			`Invalid input: remote_id - must match the pattern ^[A-Za-z0-9_-]+$, got "https://docs.google.com/document/d/abc"`},
		{"unexpected field", "/files/remote", form, create + "&file=x", http.StatusBadRequest,
			"Invalid input: file - This field was not expected."},
		{"create field on link", "/files/remoteLink", form, link + "&title=x", http.StatusBadRequest,
			"Invalid input: title - This field was not expected."},
		{"field twice", "/files/remoteLink", form, link + "&item_id=13", http.StatusBadRequest,
			"Invalid input: item_id - This field was given more than once."},
		{"bad escape", "/files/remote", form, "title=%zz", http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := post(t, srv, tc.path, tc.contentType, tc.body, tokenHeader(srv))
			require.Equal(t, tc.status, status, body)
			assert.Equal(t, "application/json", header.Get("Content-Type"))
			if tc.msg != "" {
				assert.Equal(t, envelope(tc.status, tc.msg), body)
			} else {
				assert.Contains(t, body, `"success":false,"error":"Invalid input: `)
			}
		})
	}
	assert.Empty(t, srv.Files())

	// The valid bodies the cases above were derived from are accepted.
	for path, body := range map[string]string{"/files/remote": create, "/files/remoteLink": link} {
		status, _, resp := post(t, srv, path, form+"; charset=utf-8", body, tokenHeader(srv))
		require.Equal(t, http.StatusOK, status, resp)
	}
	assert.Len(t, srv.Files(), 2)
}

// Authentication is checked before the body: a request with neither is 401.
func TestAuthenticationComesBeforeValidation(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	status, _, body := post(t, srv, "/files/remote", "application/json", "{}", nil)
	require.Equal(t, http.StatusUnauthorized, status, body)
}
