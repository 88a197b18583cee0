package pipedrive_test

import (
	"testing"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// specField returns the schema of a request field in the embedded spec, which the fake
// server validates requests against.
func specField(t *testing.T, schema, field string) *openapi3.Schema {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	require.NoError(t, err)
	ref := doc.Components.Schemas[schema]
	require.NotNil(t, ref, schema)
	prop := ref.Value.Properties[field]
	require.NotNil(t, prop, field)
	return prop.Value
}

// codePointsToCheck is every code point of the Basic Multilingual Plane, every format
// character (Cf) above it, and a sample of the rest; surrogates are not code points a Go
// string can hold.
func codePointsToCheck() []rune {
	var rs []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if r <= 0xffff || r%97 == 0 || unicode.Is(unicode.Cf, r) || r >= 0xe0000 && r <= 0xe0fff {
			rs = append(rs, r)
		}
	}
	return rs
}

// requireSameVerdict checks that the Go rule and the spec's schema accept the same
// values: for every code point, each value inputs builds from it.
func requireSameVerdict(t *testing.T, schema *openapi3.Schema, inputs func(rune) []string, goOK func(string) bool) {
	t.Helper()
	disagree := 0
	for _, r := range codePointsToCheck() {
		for _, v := range inputs(r) {
			if g, s := goOK(v), schema.VisitJSON(v) == nil; g != s {
				disagree++
				if disagree <= 10 {
					t.Errorf("%q (%U): Validate accepts it: %v, the spec accepts it: %v", v, r, g, s)
				}
			}
		}
	}
	require.Zero(t, disagree, "values on which the Go rule and the spec pattern disagree")
}

// The spec's title pattern and CreateRemoteFileRequest.Validate accept the same titles:
// each code point alone (the visibility rule) and between visible letters (the control
// rule), and both refuse the empty title, which no code point builds.
func TestTitleRuleMatchesSpecPattern(t *testing.T) {
	t.Parallel()
	schema := specField(t, "AddFileAndLinkItRequest", "title")
	valid := func(title string) bool {
		return pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: title, Item: pipedrive.Deal(1)}.Validate() == nil
	}
	requireSameVerdict(t, schema,
		func(r rune) []string { return []string{string(r), "a" + string(r) + "b"} },
		valid)
	require.Error(t, schema.VisitJSON(""), "the spec accepts an empty title")
	require.False(t, valid(""), "Validate accepts an empty title")
}

// The spec's remote_id pattern and LinkRemoteFileRequest.Validate accept the same ids.
func TestRemoteIDRuleMatchesSpecPattern(t *testing.T) {
	t.Parallel()
	schema := specField(t, "LinkFileToItemRequest", "remote_id")
	requireSameVerdict(t, schema,
		func(r rune) []string { return []string{string(r), "a" + string(r)} },
		func(id string) bool {
			return pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Deal(1)}.Validate() == nil
		})
	require.Error(t, schema.VisitJSON(""), "empty")
	require.Error(t, pipedrive.LinkRemoteFileRequest{RemoteID: "", Item: pipedrive.Deal(1)}.Validate())
}
