package main

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wait fails the test unless ctx ends within a minute.
func wait(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		require.FailNow(t, what+" was not cancelled")
	}
}

// The first signal cancels the context, the second the one calls in flight use. Not
// parallel: it signals the test process itself, which only interruptible listens to.
func TestInterruptibleTwoSignals(t *testing.T) {
	ctx, stop := interruptible(context.Background())
	defer stop()
	abandon := abandonContext(ctx)
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)

	require.NoError(t, self.Signal(syscall.SIGTERM))
	wait(t, ctx, "the context")
	assert.NoError(t, abandon.Err(), "calls in flight go on after the first signal")

	require.NoError(t, self.Signal(os.Interrupt))
	wait(t, abandon, "the abandon context")
}

func TestAbandonContextWithoutASecondSignal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	abandon := abandonContext(ctx)
	cancel()
	assert.NoError(t, abandon.Err(), "without withAbandon, calls in flight are never abandoned")

	hard, abandonNow := context.WithCancel(context.Background())
	ctx = withAbandon(context.Background(), hard)
	abandonNow()
	assert.Error(t, abandonContext(ctx).Err())
}
