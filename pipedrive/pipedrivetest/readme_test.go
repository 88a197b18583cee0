package pipedrivetest_test

import (
	"context"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// TestAttachProposal is the README's "Testing your code with pipedrivetest" example,
// verbatim (TestReadmeGoBlocks checks that), so that the README cannot drift from what
// works. (Not parallel, as the README shows it.)
func TestAttachProposal(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	got, err := attachProposal(ctx, client.Files, 12, "Acme") // your code
	require.NoError(t, err)
	require.Equal(t, `"Proposal for Acme" on deal "Acme website redesign" (file 1)`, got)

	// What your code sent, as the server received it; the token is redacted.
	r := srv.Requests()[0]
	require.Equal(t, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Proposal+for+Acme", r.Body)
	require.Equal(t, pipedrivetest.Redacted, r.Header.Get("X-Api-Token"))

	// The failures your code must handle: an unknown deal, and one scripted outage.
	_, err = attachProposal(ctx, client.Files, 999, "Initech")
	require.ErrorIs(t, err, pipedrive.ErrNotFound)
	srv.FailNext(http.StatusServiceUnavailable, `{"success":false,"error":"Service under maintenance"}`)
	_, err = attachProposal(ctx, client.Files, 12, "Acme")
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	require.Len(t, srv.Files(), 1)
}

// TestReadmeGoBlocks checks every Go block of the README: a whole program (package main)
// must build against this module; the TestAttachProposal block must appear verbatim in
// this file, where it runs; every other block is a fragment, which must parse as Go
// statements or declarations (it names variables the README does not declare, so it is
// not type-checked).
func TestReadmeGoBlocks(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	self, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	blocks := goBlocks(string(readme))
	require.NotEmpty(t, blocks)
	kinds := map[string]int{}
	for _, block := range blocks {
		switch {
		case strings.HasPrefix(block, "package main\n"):
			kinds["program"]++
			buildProgram(t, root, block)
		case strings.HasPrefix(block, "func TestAttachProposal("):
			kinds["test"]++
			assert.True(t, strings.Contains(string(self), block), "the README's test is not this file's TestAttachProposal, verbatim:\n%s", block)
		default:
			kinds["fragment"]++
			_, stmtErr := parser.ParseFile(token.NewFileSet(), "fragment.go", "package p\nfunc _() {\n"+block+"\n}\n", 0)
			_, declErr := parser.ParseFile(token.NewFileSet(), "fragment.go", "package p\n"+block, 0)
			assert.True(t, stmtErr == nil || declErr == nil, "README fragment does not parse: %v\n%s", stmtErr, block)
		}
	}
	assert.Equal(t, 2, kinds["program"], "the quick start and the bulk program")
	assert.Equal(t, 1, kinds["test"])
}

// goBlocks returns the contents of the README's ```go blocks, each without the
// indentation of its fence (a block inside a list item is indented).
func goBlocks(readme string) []string {
	var blocks []string
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		indent, ok := strings.CutSuffix(lines[i], "```go")
		if !ok || strings.TrimSpace(indent) != "" {
			continue
		}
		var b strings.Builder
		for i++; i < len(lines) && lines[i] != indent+"```"; i++ {
			b.WriteString(strings.TrimPrefix(lines[i], indent) + "\n")
		}
		blocks = append(blocks, b.String())
	}
	return blocks
}

// buildProgram builds src as the main package of a module that requires this one from
// root, offline, with this module's go.sum.
func buildProgram(t *testing.T, root, src string) {
	t.Helper()
	dir := t.TempDir()
	gomod := "module readmecheck\n\ngo 1.26\n\nrequire github.com/e97b4d80/pipedrive-remote-files v0.0.0\n\n" +
		"replace github.com/e97b4d80/pipedrive-remote-files => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600))
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the README's program does not build:\n%s", out)
}
