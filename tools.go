//go:build tools

// Package tools pins the code generator's version in go.mod so that
// `go generate` runs the same oapi-codegen on every machine.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
