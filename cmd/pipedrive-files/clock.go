package main

import (
	"context"
	"time"
)

// wallClock is the real time, the pipedrive.Clock main gives the command; tests give a
// pipedrivetest.Clock instead, shared with their fake server.
type wallClock struct{}

// Now is time.Now.
func (wallClock) Now() time.Time { return time.Now() }

// Sleep waits for d, or until ctx is done (returning ctx.Err()).
func (wallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
