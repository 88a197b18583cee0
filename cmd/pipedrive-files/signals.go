package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that the first SIGINT or SIGTERM cancels. It carries a
// second context (see abandonContext) that the second signal cancels: bulk stops starting
// rows at the first and abandons the calls in flight at the second. After the second
// signal the default behaviour is restored, so a third one kills the process. stop
// releases the signals.
func interruptible(parent context.Context) (ctx context.Context, stop func()) {
	soft, cancelSoft := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(sigs)
		for _, cancel := range []context.CancelFunc{cancelSoft, cancelHard} {
			select {
			case <-sigs:
				cancel()
			case <-done:
				return
			}
		}
	}()
	return withAbandon(soft, hard), func() {
		close(done)
		cancelSoft()
		cancelHard()
	}
}

// abandonKey is the context key of the context whose end abandons calls in flight.
type abandonKey struct{}

// withAbandon returns ctx carrying abandon: ctx's end stops new work, abandon's end
// stops the work in flight.
func withAbandon(ctx, abandon context.Context) context.Context {
	return context.WithValue(ctx, abandonKey{}, abandon)
}

// abandonContext is the context for calls in flight: the one withAbandon attached, or
// else ctx's values without its cancellation, so that the calls in flight finish.
func abandonContext(ctx context.Context) context.Context {
	if abandon, ok := ctx.Value(abandonKey{}).(context.Context); ok {
		return abandon
	}
	return context.WithoutCancel(ctx)
}
