// Package openapi embeds the hand-written OpenAPI 3 description of the Pipedrive file
// operations this project uses (the two remote-file POSTs, the file lists, and GET, PUT
// and DELETE of one file), pipedrive-remote-files.yaml, so that code generation, the
// conformance tests and the fake server in pipedrive/pipedrivetest all work from the
// same bytes, token costs (x-token-cost) included.
package openapi

import _ "embed"

//go:embed pipedrive-remote-files.yaml
var spec string

// Spec returns a fresh copy of the YAML document, so callers may modify what they get.
func Spec() []byte { return []byte(spec) }
