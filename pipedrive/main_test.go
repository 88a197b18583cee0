package pipedrive_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (a server, a connection's
// read loop, a retry timer).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
