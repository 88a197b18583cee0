package openapi_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
)

func load(t *testing.T, data []byte) (*openapi3.T, error) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
}

// oapi-codegen ignores misspelt keywords, so the spec is validated with kin-openapi.
func TestSpecIsValid(t *testing.T) {
	t.Parallel()
	doc, err := load(t, openapi.Spec())
	require.NoError(t, err)

	for _, path := range []string{"/files/remote", "/files/remoteLink"} {
		op := doc.Paths.Find(path).Post
		require.NotNil(t, op, path)
		body := op.RequestBody.Value
		require.True(t, body.Required, path)
		require.Len(t, body.Content, 3, "form, JSON and multipart bodies are accepted by %s", path)
		schema := body.Content.Get("application/x-www-form-urlencoded").Schema.Ref
		for _, ct := range []string{"application/json", "multipart/form-data"} {
			require.Equal(t, schema, body.Content.Get(ct).Schema.Ref, "%s %s: the same fields as the form", path, ct)
		}
		for _, status := range []string{"200", "400", "401", "402", "403", "404", "410", "415", "422", "429", "5XX", "default"} {
			require.NotNil(t, op.Responses.Value(status), "%s %s", path, status)
		}
	}
	for path, id := range map[string]string{"/deals/{id}/files": "getDealFiles", "/persons/{id}/files": "getPersonFiles", "/organizations/{id}/files": "getOrganizationFiles"} {
		op := doc.Paths.Find(path).Get
		require.NotNil(t, op, path)
		require.Equal(t, id, op.OperationID)
		limit := op.Parameters.GetByInAndName("query", "limit")
		require.NotNil(t, limit, path)
		require.Equal(t, 100.0, *limit.Schema.Value.Max, "Pipedrive pages hold at most 100")
		for _, name := range []string{"start", "sort"} {
			require.NotNil(t, op.Parameters.GetByInAndName("query", name), "%s %s", path, name)
		}
		require.NotNil(t, op.Parameters.GetByInAndName("path", "id"), path)
		data := op.Responses.Value("200").Value.Content.Get("application/json").Schema.Value.Properties["data"].Value
		require.True(t, data.Nullable, "data is null for an item without files")
		for _, status := range []string{"400", "401", "402", "403", "404", "410", "415", "422", "429", "5XX", "default"} {
			require.NotNil(t, op.Responses.Value(status), "%s %s", path, status)
		}
	}
	for _, name := range []string{"api_key", "api_token_query", "oauth2"} {
		require.Contains(t, doc.Components.SecuritySchemes, name)
	}
	require.Len(t, doc.Servers, 2)
}

func TestSpecReturnsCopy(t *testing.T) {
	t.Parallel()
	a := openapi.Spec()
	a[0] = 'X'
	require.NotEqual(t, byte('X'), openapi.Spec()[0])
}

// The company's files, one file, its update and its deletion: the documented parameters,
// token costs and answers.
func TestSpecFileOperations(t *testing.T) {
	t.Parallel()
	doc, err := load(t, openapi.Spec())
	require.NoError(t, err)

	list := doc.Paths.Find("/files").Get
	require.NotNil(t, list)
	require.Equal(t, "getFiles", list.OperationID)
	require.Equal(t, 100.0, *list.Parameters.GetByInAndName("query", "limit").Schema.Value.Max)
	require.NotNil(t, list.Parameters.GetByInAndName("query", "start"))
	require.Nil(t, list.Parameters.GetByInAndName("query", "include_deleted_files"), "deprecated by Pipedrive, never sent")
	require.True(t, list.Responses.Value("200").Value.Content.Get("application/json").Schema.Value.Properties["data"].Value.Nullable)

	item := doc.Paths.Find("/files/{id}")
	require.NotNil(t, item)
	id := item.Parameters.GetByInAndName("path", "id")
	require.NotNil(t, id)
	require.Equal(t, 1.0, *id.Schema.Value.Min)

	costs := map[string]float64{}
	for name, op := range map[string]*openapi3.Operation{"GET /files": list, "GET /files/{id}": item.Get, "PUT /files/{id}": item.Put, "DELETE /files/{id}": item.Delete} {
		require.NotNil(t, op, name)
		cost, ok := op.Extensions["x-token-cost"].(float64)
		require.True(t, ok, "%s has an x-token-cost", name)
		costs[name] = cost
		for _, status := range []string{"200", "400", "401", "402", "403", "404", "410", "415", "422", "429", "5XX", "default"} {
			require.NotNil(t, op.Responses.Value(status), "%s %s", name, status)
		}
	}
	require.Equal(t, map[string]float64{"GET /files": 20, "GET /files/{id}": 2, "PUT /files/{id}": 10, "DELETE /files/{id}": 6}, costs)
	require.Equal(t, []string{"getFile", "updateFile", "deleteFile"}, []string{item.Get.OperationID, item.Put.OperationID, item.Delete.OperationID})

	body := item.Put.RequestBody.Value
	require.False(t, body.Required, "both fields are optional")
	require.Len(t, body.Content, 3, "form, JSON and multipart, as for the POSTs")
	fields := body.Content.Get("application/x-www-form-urlencoded").Schema.Value
	require.ElementsMatch(t, []string{"name", "description"}, keys(fields.Properties))
	require.Empty(t, fields.Required)

	deleted := item.Delete.Responses.Value("200").Value.Content.Get("application/json").Schema.Value
	require.Contains(t, deleted.Properties["data"].Value.Properties, "id")

	errBody := doc.Components.Schemas["ErrorResponse"].Value
	require.True(t, errBody.Properties["errorCode"].Value.Type.Is(openapi3.TypeInteger), "Pipedrive's integer errorCode")
}

// Every sort Pipedrive documents passes the Sort pattern, so the fake, which validates
// with it, is never stricter than Pipedrive.
func TestSpecSortAcceptsWhatPipedriveDocuments(t *testing.T) {
	t.Parallel()
	doc, err := load(t, openapi.Spec())
	require.NoError(t, err)
	sort := doc.Components.Parameters["Sort"].Value.Schema.Value
	for _, v := range []string{"", "id", "id ASC", "id DESC", "update_time", "update_time DESC", "add_time ASC",
		"id ASC, update_time DESC", "file_name ASC,file_size DESC", "comment", "user_id asc", "deal_id,person_id,org_id,product_id,file_type"} {
		require.NoError(t, sort.VisitJSON(v), v)
	}
	for _, v := range []string{"name", "id ASCENDING", "id,", "id; DROP TABLE", "ASC"} {
		require.Error(t, sort.VisitJSON(v), v)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
