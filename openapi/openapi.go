// Package openapi embeds the hand-written OpenAPI 3 description of Pipedrive's two
// remote-file operations, pipedrive-remote-files.yaml, so that code generation, the
// conformance tests and the fake server in pipedrive/pipedrivetest all work from the
// same bytes.
package openapi

import _ "embed"

//go:embed pipedrive-remote-files.yaml
var spec string

// Spec returns a fresh copy of the YAML document, so callers may modify what they get.
func Spec() []byte { return []byte(spec) }
