package pipedrive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// specRouter loads our spec from openapi.Spec() and routes requests against it. With
// servers given they replace the spec's (so a loopback test server matches); without,
// the spec's own servers are used.
func specRouter(t *testing.T, servers ...string) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	require.NoError(t, err)
	if len(servers) > 0 {
		doc.Servers = nil
		for _, s := range servers {
			doc.Servers = append(doc.Servers, &openapi3.Server{URL: s})
		}
	}
	router, err := legacy.NewRouter(doc) // validates the document too
	require.NoError(t, err)
	return router
}

// checkCredential is the AuthenticationFunc: each security scheme of the spec is
// satisfied only by its own credential being present on the request.
func checkCredential(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "api_key":
		if req.Header.Get("X-Api-Token") == "" {
			return errors.New("no x-api-token header")
		}
	case "api_token_query":
		if req.URL.Query().Get("api_token") == "" {
			return errors.New("no api_token query parameter")
		}
	case "oauth2":
		if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
	default:
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	return nil
}

var conformanceOptions = &openapi3filter.Options{AuthenticationFunc: checkCredential, MultiError: true}

// validateSpecRequest finds the route for req and validates it (security, content type,
// body schema) against the spec; it returns the route for response validation.
func validateSpecRequest(router routers.Router, req *http.Request) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("no route for %s %s: %w", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: conformanceOptions}
	return in, errors.Join(openapi3filter.ValidateRequest(context.Background(), in), formFieldsProblem(route, req.Header.Get("Content-Type"), body))
}

// formFieldsProblem reports form fields the operation's schema does not declare, and
// fields sent twice. kin-openapi decodes a form body by the schema's properties, so it
// never sees an undeclared field and cannot apply additionalProperties: false itself.
func formFieldsProblem(route *routers.Route, contentType string, body []byte) error {
	if route.Operation.RequestBody == nil {
		return nil // a GET: ValidateRequest has checked its parameters
	}
	mt := route.Operation.RequestBody.Value.Content.Get(contentType)
	if mt == nil || contentType != "application/x-www-form-urlencoded" {
		return nil // ValidateRequest has already rejected the content type
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("form body does not parse: %w", err)
	}
	var errs []error
	for key, v := range vals {
		if mt.Schema.Value.Properties[key] == nil {
			errs = append(errs, fmt.Errorf("form field %q is not in the spec", key))
		}
		if len(v) != 1 {
			errs = append(errs, fmt.Errorf("form field %q sent %d times", key, len(v)))
		}
	}
	return errors.Join(errs...)
}

// rebuildCaptured turns what the fake API received back into a client-side request to base's
// host, byte for byte.
func rebuildCaptured(t *testing.T, f *fakeAPI, cr capturedRequest) *http.Request {
	t.Helper()
	u := f.srv.URL + cr.Path
	if cr.RawQuery != "" {
		u += "?" + cr.RawQuery
	}
	req, err := http.NewRequest(cr.Method, u, bytes.NewReader(cr.Body))
	require.NoError(t, err)
	req.Header = cr.Header.Clone()
	return req
}

// conformanceCalls are the inputs whose requests are checked against the spec.
var conformanceCalls = []struct {
	name        string
	operationID string
	call        func(context.Context, *pipedrive.Client) (*pipedrive.RemoteFile, error)
}{
	{"create doc, ampersand and unicode", "addFileAndLinkIt", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Hello & wörld", Item: pipedrive.Deal(12)})
	}},
	{"create slides, reserved characters", "addFileAndLinkIt", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSlides, Title: "a=b&c+d/e?f#g%h", Item: pipedrive.Person(5)})
	}},
	{"create sheet, CJK and emoji", "addFileAndLinkIt", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "予算 2026 📊", Item: pipedrive.Organization(9223372036854775807)})
	}},
	{"create form, surrounding spaces and a tab", "addFileAndLinkIt", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleForm, Title: "  Survey\t2 ", Item: pipedrive.Deal(1)})
	}},
	{"create drawing", "addFileAndLinkIt", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDrawing, Title: "Org chart", Item: pipedrive.Organization(77)})
	}},
	{"link to person", "linkFileToItem", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)})
	}},
	{"link to deal, id from URL", "linkFileToItem", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		id, err := pipedrive.RemoteIDFromURL("https://docs.google.com/spreadsheets/u/0/d/1gzyh6Ex-BxIb4_RBZb/edit#gid=0")
		if err != nil {
			return nil, err
		}
		return c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Deal(36)})
	}},
	{"link to organization, every id character", "linkFileToItem", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "azAZ09-_", Item: pipedrive.Organization(15)})
	}},
	{"list a deal's files", "getDealFiles", listFirst(pipedrive.Deal(12))},
	{"list a person's files", "getPersonFiles", listFirst(pipedrive.Person(5))},
	{"list an organization's files, largest id", "getOrganizationFiles", listFirst(pipedrive.Organization(9223372036854775807))},
	{"list the company's files", "getFiles", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		for _, err := range c.Files.ListAll(ctx) {
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	}},
	{"get a file", "getFile", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.Get(ctx, 7195)
	}},
	{"rename a file, unicode", "updateFile", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.Update(ctx, 7195, pipedrive.FileUpdate{Name: new("Angebot für Müller & Söhne")})
	}},
	{"clear a description", "updateFile", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.Update(ctx, 7195, pipedrive.FileUpdate{Description: new("")})
	}},
	{"rename and describe, multi-line", "updateFile", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return c.Files.Update(ctx, 7195, pipedrive.FileUpdate{Name: new("Q3"), Description: new("line 1\r\nline 2")})
	}},
	{"delete a file", "deleteFile", func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		return nil, c.Files.Delete(ctx, 7195)
	}},
}

// listFirst lists item's files to the end, returning the first file, or nil for none.
func listFirst(item pipedrive.Item) func(context.Context, *pipedrive.Client) (*pipedrive.RemoteFile, error) {
	return func(ctx context.Context, c *pipedrive.Client) (*pipedrive.RemoteFile, error) {
		var first *pipedrive.RemoteFile
		for f, err := range c.Files.List(ctx, item) {
			if err != nil {
				return nil, err
			}
			if first == nil {
				first = f
			}
		}
		return first, nil
	}
}

// replyByMethod answers each request with cannedAnswer's body.
func replyByMethod(w http.ResponseWriter, r *http.Request) {
	replyJSON(http.StatusOK, cannedAnswer(r.Method, r.URL.Path))(w, r)
}

// Every request the client produces, in every credential mode, is one the spec accepts.
func TestConformanceRequests(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name   string
		client func(t *testing.T, f *fakeAPI) *pipedrive.Client
		auth   string // the header or query key that must carry the credential
	}{
		{"x-api-token", func(t *testing.T, f *fakeAPI) *pipedrive.Client { return newClient(t, f.baseURL()) }, "X-Api-Token"},
		{"api_token query", func(t *testing.T, f *fakeAPI) *pipedrive.Client { return tokenModes[1].client(t, f.baseURL()) }, "api_token"},
		{"oauth api_domain", func(t *testing.T, f *fakeAPI) *pipedrive.Client {
			return newClientWith(t, pipedrive.WithTokenSource(staticOAuth("oauth-access", f.srv.URL)), "")
		}, "Authorization"},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyByMethod)
			c := mode.client(t, api)
			router := specRouter(t, api.baseURL())
			for _, call := range conformanceCalls {
				_, err := call.call(t.Context(), c)
				require.NoError(t, err, call.name)
			}
			reqs := api.requests()
			require.Len(t, reqs, len(conformanceCalls))
			for i, cr := range reqs {
				req := rebuildCaptured(t, api, cr)
				in, err := validateSpecRequest(router, req)
				require.NoError(t, err, "%s: %s", conformanceCalls[i].name, cr.Body)
				assert.Equal(t, conformanceCalls[i].operationID, in.Route.Operation.OperationID)
				assert.True(t, req.Header.Get(mode.auth) != "" || req.URL.Query().Get(mode.auth) != "")
			}
		})
	}
}

// The default and company base URLs are servers the spec declares, unmodified.
func TestConformanceBaseURLsAreSpecServers(t *testing.T) {
	t.Parallel()
	router := specRouter(t)
	for _, opts := range [][]pipedrive.Option{nil, {pipedrive.WithCompanyDomain("acme")}} {
		rt := &recordingTransport{}
		c := newClient(t, "", append([]pipedrive.Option{pipedrive.WithHTTPClient(&http.Client{Transport: rt})}, opts...)...)
		for _, call := range conformanceCalls {
			_, err := call.call(t.Context(), c)
			require.NoError(t, err)
		}
		rt.mu.Lock()
		reqs, bodies := rt.reqs, rt.bodies
		rt.mu.Unlock()
		require.Len(t, reqs, len(conformanceCalls))
		for i, sent := range reqs {
			req := sent.Clone(t.Context())
			req.Body = io.NopCloser(bytes.NewReader(bodies[i]))
			_, err := validateSpecRequest(router, req)
			require.NoError(t, err, "%s %s", sent.URL, bodies[i])
		}
	}
}

// The validator must be able to fail: requests that break the spec are rejected.
func TestConformanceValidatorRejectsBadRequests(t *testing.T) {
	t.Parallel()
	const base = "https://acme.pipedrive.com/api/v1"
	router := specRouter(t, base)
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, want, path, contentType, body string // want: part of the validator's error
		header                              map[string]string
	}{
		{"missing title", "property \"title\" is missing", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive", nil},
		{"item_id 0", "number must be at least 1", "/files/remote", form, "file_type=gdoc&item_id=0&item_type=deal&remote_location=googledrive&title=x", nil},
		{"item_id not a number", "an invalid integer", "/files/remote", form, "file_type=gdoc&item_id=abc&item_type=deal&remote_location=googledrive&title=x", nil},
		{"blank title", "\"/title\": string doesn't match", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=+++", nil},
		{"unknown file type", "\"/file_type\": value is not one of", "/files/remote", form, "file_type=pdf&item_id=12&item_type=deal&remote_location=googledrive&title=x", nil},
		{"unknown item type", "\"/item_type\": value is not one of", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=lead&remote_location=googledrive&title=x", nil},
		{"unknown remote location", "\"/remote_location\": value is not one of", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=dropbox&title=x", nil},
		{"unexpected field", "form field \"file\" is not in the spec", "/files/remote", form, "file=x&file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x", nil},
		{"text body", "unexpected value \"text/plain\"", "/files/remote", "text/plain", "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x", nil},
		{"no credential", "no x-api-token header", "/files/remote", form, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x", map[string]string{"X-Api-Token": ""}},
		{"missing remote_id", "property \"remote_id\" is missing", "/files/remoteLink", form, "item_id=5&item_type=person&remote_location=googledrive", nil},
		{"remote_id is a URL", "\"/remote_id\": string doesn't match", "/files/remoteLink", form, "item_id=5&item_type=person&remote_id=https%3A%2F%2Fdocs.google.com%2Fdocument%2Fd%2Fabc&remote_location=googledrive", nil},
		{"remote_id with space", "\"/remote_id\": string doesn't match", "/files/remoteLink", form, "item_id=5&item_type=person&remote_id=ab+c&remote_location=googledrive", nil},
		{"negative item_id", "number must be at least 1", "/files/remoteLink", form, "item_id=-1&item_type=person&remote_id=abc&remote_location=googledrive", nil},
		{"create fields on link", "form field \"file_type\" is not in the spec", "/files/remoteLink", form, "file_type=gdoc&item_id=5&item_type=person&remote_id=abc&remote_location=googledrive", nil},
		{"field sent twice", "form field \"item_id\" sent 2 times", "/files/remoteLink", form, "item_id=5&item_id=6&item_type=person&remote_id=abc&remote_location=googledrive", nil},
		{"lower-case remotelink path", "no matching operation", "/files/remotelink", form, "item_id=5&item_type=person&remote_id=abc&remote_location=googledrive", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPost, base+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("X-Api-Token", testToken)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			_, err = validateSpecRequest(router, req)
			require.ErrorContains(t, err, tt.want)
		})
	}

	// The same checks accept the well-formed versions, so the rejections above are about
	// the one thing each breaks.
	for path, body := range map[string]string{
		"/files/remote":     "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=x",
		"/files/remoteLink": "item_id=5&item_type=person&remote_id=abc&remote_location=googledrive",
	} {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", form)
		req.Header.Set("X-Api-Token", testToken)
		_, err = validateSpecRequest(router, req)
		require.NoError(t, err, path)
	}
}

// validateSpecResponse checks a response to a request on path against the spec.
func validateSpecResponse(t *testing.T, router routers.Router, path string, status int, body string) error {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://api.pipedrive.com/v1"+path, nil)
	require.NoError(t, err)
	route, params, err := router.FindRoute(req)
	require.NoError(t, err)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: conformanceOptions},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(t.Context(), in)
}

// The sample responses the other tests decode are ones the spec describes, and the
// spec's schemas reject responses the client would reject.
func TestConformanceResponses(t *testing.T) {
	t.Parallel()
	router := specRouter(t)
	successes := map[string]string{
		"every field":           everyFieldJSON,
		"upstream create":       upstreamCreateExampleJSON,
		"upstream link":         upstreamLinkExampleJSON,
		"nulls":                 nullEverywhereJSON,
		"minimal":               minimalSuccessJSON,
		"empty data":            `{"success":true,"data":{}}`,
		"additional_data extra": `{"success":true,"data":{"id":1},"additional_data":null}`,
	}
	errorBodies := map[string]string{
		"envelope":     errorEnvelope("Invalid input: file - This field was not expected.", pipedriveErrorInfo),
		"with code":    `{"success":false,"error":"Scope and URL mismatch","error_info":"x","data":null,"additional_data":null,"code":"feature_capping"}`,
		"nulls":        `{"success":false,"error":null,"error_info":null,"data":null}`,
		"rate limited": `{"success":false,"error":"Request over limit","errorCode":429,"error_info":"Please check developers.pipedrive.com"}`,
	}
	for _, path := range []string{"/files/remote", "/files/remoteLink"} {
		for name, body := range successes {
			require.NoError(t, validateSpecResponse(t, router, path, 200, body), "%s 200 %s", path, name)
		}
		for _, st := range statusSentinels {
			for name, body := range errorBodies {
				require.NoError(t, validateSpecResponse(t, router, path, st.status, body), "%s %d %s", path, st.status, name)
			}
		}
	}

	bad := map[string]string{
		"success false on 200":  errorEnvelope("Google account not connected", ""),
		"success is a string":   `{"success":"true","data":{"id":1}}`,
		"no data":               `{"success":true}`,
		"id is a string":        `{"success":true,"data":{"id":"7195"}}`,
		"file_size is a string": `{"success":true,"data":{"file_size":"12kB"}}`,
		"ISO 8601 add_time":     `{"success":true,"data":{"add_time":"2020-02-21T11:52:28Z"}}`,
		"active_flag is 1":      `{"success":true,"data":{"active_flag":1}}`,
		"data is a list":        `{"success":true,"data":[]}`,
	}
	for name, body := range bad {
		assert.Error(t, validateSpecResponse(t, router, "/files/remote", 200, body), name)
	}
	assert.Error(t, validateSpecResponse(t, router, "/files/remote", 404, `{"success":false,"error":404}`), "error text must be a string")
}
