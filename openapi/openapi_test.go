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
