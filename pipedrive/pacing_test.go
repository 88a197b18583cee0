package pipedrive_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// pacingLoad is what one run of the shared-client load measured.
type pacingLoad struct {
	calls    int           // calls made, all of which succeeded
	requests int           // requests the server saw
	limited  int           // of which it answered 429
	elapsed  time.Duration // from the first call to the last answer
	ideal    time.Duration // calls / limit * window
	floor    time.Duration // (ceil(calls / limit) - 1) * window
}

// efficiency is ideal / elapsed: 1 uses the window fully. The fake's windows are fixed
// and start with their first request, so the calls can finish in floor, a little under
// the ideal: efficiency may slightly exceed 1, and floorEfficiency is the stricter figure.
func (l pacingLoad) efficiency() float64 { return l.ideal.Seconds() / l.elapsed.Seconds() }

// floorEfficiency is floor / elapsed: 1 is the fastest any client can be.
func (l pacingLoad) floorEfficiency() float64 { return l.floor.Seconds() / l.elapsed.Seconds() }

// runPacingLoad makes calls CreateRemote calls from goroutines goroutines that share one
// client with the default retry policy, against a fake allowing limit requests per window,
// on the real clock (a fake clock cannot tell goroutines that wait together from ones
// that wait in turn). Every call must succeed.
func runPacingLoad(tb testing.TB, goroutines, calls, limit int, window time.Duration) pacingLoad {
	tb.Helper()
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(limit, window))
	defer srv.Close()
	c := srv.Client()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := time.Now()
	for range goroutines {
		wg.Go(func() {
			for next.Add(1) <= int64(calls) {
				_, err := c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
					FileType: pipedrive.GoogleDoc, Title: "Paced", Item: pipedrive.Deal(12)})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	load := pacingLoad{calls: calls, elapsed: time.Since(start), ideal: time.Duration(calls) * window / time.Duration(limit),
		floor: time.Duration((calls+limit-1)/limit-1) * window}
	for _, err := range errs {
		tb.Errorf("call failed: %v", err)
	}
	for _, r := range srv.Requests() {
		load.requests++
		if r.Status == 429 {
			load.limited++
		}
	}
	return load
}

// 16 goroutines sharing one client stay within the window: at most 1% of the requests
// are refused (with 91 calls that means none), and the window is used fully: the elapsed
// time is within 10% of calls / limit * window. Before pacing was coordinated, the same
// load sent 221 requests for 100 calls, 121 of them refused.
func TestPacingSharedClientUnderConcurrency(t *testing.T) {
	t.Parallel() // about 9 s of mostly waiting
	load := runPacingLoad(t, 16, 91, 10, time.Second)
	t.Logf("%d calls: %d requests, %d answered 429, %s (ideal %s, efficiency %.3f; floor %s, %.3f)", load.calls, load.requests,
		load.limited, load.elapsed.Round(time.Millisecond), load.ideal, load.efficiency(), load.floor, load.floorEfficiency())
	assert.LessOrEqual(t, float64(load.limited), 0.01*float64(load.requests), "429s")
	assert.Equal(t, load.calls+load.limited, load.requests, "every call sent once, plus a retry per 429")
	assert.InEpsilon(t, load.ideal.Seconds(), load.elapsed.Seconds(), 0.10, "elapsed %s, ideal %s", load.elapsed, load.ideal)
}

// BenchmarkPacing reports the shared-client load at 1, 4, 16 and 64 goroutines: requests
// sent, 429s and efficiency per run (see BENCHMARKS.md). Each run takes about 9 s; run it
// with make bench-pacing.
func BenchmarkPacing(b *testing.B) {
	for _, goroutines := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			var requests, limited int
			var efficiency, floorEfficiency float64
			for b.Loop() {
				load := runPacingLoad(b, goroutines, 91, 10, time.Second)
				requests += load.requests
				limited += load.limited
				efficiency += load.efficiency()
				floorEfficiency += load.floorEfficiency()
			}
			n := float64(b.N)
			b.ReportMetric(float64(requests)/n, "requests/run")
			b.ReportMetric(float64(limited)/n, "429s/run")
			b.ReportMetric(efficiency/n, "efficiency")
			b.ReportMetric(floorEfficiency/n, "floor-efficiency")
		})
	}
}
