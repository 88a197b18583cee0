package main

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// runMainEnv, set to 1 in the environment of a re-executed test binary, makes it run the
// command itself (main) rather than the tests: tests use it to run pipedrive-files as a
// separate process without building it.
const runMainEnv = "PIPEDRIVE_FILES_TEST_RUN_MAIN"

// TestMain fails the run if a command leaves a goroutine behind once it returns: a fake
// server --fake or demo started, or an HTTP connection of a client it made. It removes
// the binary the process tests built (see processBinary).
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	code := m.Run()
	removeProcessBinary()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
