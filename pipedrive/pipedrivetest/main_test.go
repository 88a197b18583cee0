package pipedrivetest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: a server NewServer
// started and nobody closed, or a client connection Close did not shut.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
