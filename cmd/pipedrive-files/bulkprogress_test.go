package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	note := ""
	p := newProgress(100, 5, func() string { return note })
	p.now = func() time.Time { return p.start.Add(10 * time.Second) }
	for range 20 {
		p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Done}})
	}
	p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Failed}})
	p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Unknown}})
	assert.Equal(t, "pipedrive-files bulk: 22/100 rows, 2 failed, 2.2 rows/s, ETA 35s", p.line())
	note = "rate limit reached, window resets in 2s"
	assert.Equal(t, "pipedrive-files bulk: 22/100 rows, 2 failed, 2.2 rows/s, ETA 35s, rate limit reached, window resets in 2s", p.line())

	// Not a terminal: nothing is drawn before the first 10 s, and stop ends the drawing.
	var out bytes.Buffer
	p.show(&out)
	ctx, cancel := context.WithCancel(context.Background())
	p.sayWhenDone(ctx, &out, "interrupted")
	cancel()
	p.stop()
	assert.Equal(t, "interrupted\n", out.String())
}

// No rate or ETA is shown before a second has passed, however many rows are finished:
// a rate taken over microseconds is absurd. Then the rate is the run's average.
func TestProgressShowsNoRateAtFirst(t *testing.T) {
	t.Parallel()
	p := newProgress(40, 0, func() string { return "" })
	elapsed := 30 * time.Microsecond
	p.now = func() time.Time { return p.start.Add(elapsed) }
	var out bytes.Buffer
	draw := p.bar(&out)
	assert.Equal(t, "pipedrive-files bulk: 0/40 rows, 0 failed", p.line())
	for range 20 {
		p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Done}})
	}
	assert.Equal(t, "pipedrive-files bulk: 20/40 rows, 0 failed", p.line())
	draw(false)
	assert.Contains(t, out.String(), "(20/40) failed 0")
	assert.NotContains(t, out.String(), "/s", "no rate on the bar")
	assert.NotContains(t, out.String(), "ETA")
	elapsed = paceAfter - time.Millisecond
	assert.Equal(t, "pipedrive-files bulk: 20/40 rows, 0 failed", p.line())

	elapsed = 2 * time.Second
	assert.Equal(t, "pipedrive-files bulk: 20/40 rows, 0 failed, 10.0 rows/s, ETA 2s", p.line())
	out.Reset()
	draw(false)
	assert.Contains(t, out.String(), "(20/40) failed 0, 10.0 rows/s, ETA 2s")
}

func TestRequestCounter(t *testing.T) {
	t.Parallel()
	c := &requestCounter{}
	ctx := context.Background()
	c.observe(ctx, pipedrive.Attempt{Operation: "POST /files/remote", Attempt: 1, StatusCode: 429})
	c.observe(ctx, pipedrive.Attempt{Operation: "POST /files/remote", Attempt: 2, StatusCode: 200})
	c.observe(ctx, pipedrive.Attempt{Operation: "GET /deals/{id}/files", Attempt: 1, Err: errors.New("connection refused")}) // nothing answered
	assert.Equal(t, int64(2), c.requests.Load())
	assert.Equal(t, int64(1), c.limited.Load())
}

// The counter is the client's attempt hook: a 429 and its retry are two requests, one
// rate limited, and a connection never made is none.
func TestRequestCounterCountsTheClientsAttempts(t *testing.T) {
	t.Parallel()
	clock := pipedrivetest.NewClock(time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clock.Now))
	defer srv.Close()
	srv.FailNext(http.StatusTooManyRequests, `{"success":false,"error":"Request over limit"}`)
	c := &requestCounter{}
	client := srv.Client(pipedrive.WithClock(clock), pipedrive.WithAttemptHook(c.observe))
	_, err := client.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "x", Item: pipedrive.Deal(12)})
	require.NoError(t, err)
	assert.Equal(t, int64(2), c.requests.Load())
	assert.Equal(t, int64(1), c.limited.Load())
	assert.Len(t, srv.Requests(), 2)
}

// The bar's last drawing shows the final count, however soon after the one before it
// comes: the library's throttle must not swallow it.
func TestProgressBarFinalDrawIsCurrent(t *testing.T) {
	t.Parallel()
	p := newProgress(3, 0, func() string { return "" })
	var out bytes.Buffer
	draw := p.bar(&out)
	p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Done}})
	draw(false)
	assert.Contains(t, out.String(), "1/3")
	p.rowFinished(bulk.Result{State: bulk.State{Status: bulk.Failed}})
	draw(true)
	last := out.String()[strings.LastIndex(out.String(), "\r")+1:]
	assert.Contains(t, last, "2/3")
	assert.Contains(t, last, "failed 1")
}
