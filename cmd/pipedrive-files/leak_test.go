package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// runMainEnv, set to 1 in the environment of a re-executed test binary, makes it run the
// command itself (main) rather than the tests: tests use it to run pipedrive-files as a
// separate process without building it.
const runMainEnv = "PIPEDRIVE_FILES_TEST_RUN_MAIN"

// TestMain fails the run if a command leaves a goroutine behind once it returns: a fake
// server --fake or demo started, or an HTTP connection of a client it made.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	goleak.VerifyTestMain(m)
}
