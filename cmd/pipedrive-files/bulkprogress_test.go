package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	note := ""
	p := newProgress(100, 5, func() string { return note })
	p.start = time.Now().Add(-10 * time.Second)
	for range 20 {
		p.rowFinished(rowState{state: stateDone})
	}
	p.rowFinished(rowState{state: stateFailed})
	p.rowFinished(rowState{state: stateUnknown})
	assert.Regexp(t, `^pipedrive-files bulk: 22/100 rows, 2 failed, 2\.2 rows/s, ETA 3[45]s$`, p.line())
	note = "rate limit reached, window resets in 2s"
	assert.Regexp(t, `, ETA 3[45]s, rate limit reached, window resets in 2s$`, p.line())

	// Not a terminal: nothing is drawn before the first 10 s, and stop ends the drawing.
	var out bytes.Buffer
	p.show(&out)
	ctx, cancel := context.WithCancel(context.Background())
	p.sayWhenDone(ctx, &out, "interrupted")
	cancel()
	p.stop()
	assert.Equal(t, "interrupted\n", out.String())
}

func TestRequestCounter(t *testing.T) {
	t.Parallel()
	c := &requestCounter{}
	log := slog.New(c)
	log.Debug("pipedrive request", "operation", "POST /files/remote", slog.Int("status", 200))
	log.Debug("pipedrive request", slog.Int("status", 429))
	log.Debug("pipedrive request", slog.Int("status", 0), "error", "connection refused") // nothing answered
	log.Debug("pipedrive request", slog.String("status", "odd"))
	assert.Equal(t, int64(2), c.requests.Load())
	assert.Equal(t, int64(1), c.limited.Load())
}

// The bar's last drawing shows the final count, however soon after the one before it
// comes: the library's throttle must not swallow it.
func TestProgressBarFinalDrawIsCurrent(t *testing.T) {
	t.Parallel()
	p := newProgress(3, 0, func() string { return "" })
	var out bytes.Buffer
	draw := p.bar(&out)
	p.rowFinished(rowState{state: stateDone})
	draw(false)
	assert.Contains(t, out.String(), "1/3")
	p.rowFinished(rowState{state: stateFailed})
	draw(true)
	last := out.String()[strings.LastIndex(out.String(), "\r")+1:]
	assert.Contains(t, last, "2/3")
	assert.Contains(t, last, "failed 1")
}
