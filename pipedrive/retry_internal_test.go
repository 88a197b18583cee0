package pipedrive

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The wall clock's wait ends with the context (a retry waiting 20 s stops at the caller's
// deadline), and otherwise when the time has passed.
func TestRealClockSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, WallClock().Sleep(ctx, time.Hour), context.Canceled)
	assert.NoError(t, WallClock().Sleep(t.Context(), time.Nanosecond))
}
