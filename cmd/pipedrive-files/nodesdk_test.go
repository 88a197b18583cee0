package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// The official Node SDK's FilesApi (getFiles, getFile, updateFile, deleteFile, and
// linkFileToItem to have files) against serve-fake, through testdata/node-sdk-files.js,
// which exits 1 if any answer differs from what Pipedrive documents. It runs only where
// node finds the npm package pipedrive (NODE_PATH=.../node_modules, e.g. after
// `npm install pipedrive@33.7.0` in a directory of your choice); elsewhere it is skipped.
func TestNodeSDKAgainstServeFake(t *testing.T) {
	t.Parallel()
	_ = os.Getenv("NODE_PATH") // node reads it: reading it here makes it part of the test cache's key
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if err := exec.CommandContext(t.Context(), node, "-e", "require.resolve('pipedrive/v1')").Run(); err != nil {
		t.Skip("the npm package pipedrive is not found: set NODE_PATH to a node_modules holding pipedrive@33.7.0")
	}
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int)
	go func() {
		done <- run(ctx, &env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &stderr, Clock: pipedrive.WallClock()}, []string{"serve-fake"})
	}()
	vars := fakeEnv(t, bufio.NewReader(pr))
	cmd := exec.CommandContext(t.Context(), node, "testdata/node-sdk-files.js")
	cmd.Env = append(os.Environ(), "PIPEDRIVE_BASE_URL="+vars["PIPEDRIVE_BASE_URL"], "PIPEDRIVE_API_TOKEN="+vars["PIPEDRIVE_API_TOKEN"])
	out, err := cmd.CombinedOutput()
	stop()
	assert.Equal(t, exitOK, <-done)
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.HasSuffix(string(out), "all as documented\n"), "%s", out)
	for _, want := range []string{"GET /api/v1/files 200", "GET /api/v1/files/2 200", "PUT /api/v1/files/2 200", "DELETE /api/v1/files/2 200", "GET /api/v1/files/999 404"} {
		assert.Contains(t, stderr.String(), want)
	}
	t.Logf("node-sdk-files.js:\n%s", out)
}
