package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a command leaves a goroutine behind once it returns: a fake
// server --fake or demo started, or an HTTP connection of a client it made.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
