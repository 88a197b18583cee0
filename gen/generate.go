// Package gen holds the low-level types and HTTP client that oapi-codegen generates from
// openapi/pipedrive-remote-files.yaml. Nothing here is written by hand except this file:
// edit the spec and run `go generate ./...` instead. Import package pipedrive, not this one.
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config ../openapi/oapi-codegen.yaml ../openapi/pipedrive-remote-files.yaml
