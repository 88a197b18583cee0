package pipedrivetest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

func TestClock(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	assert.Equal(t, start, clk.Now())
	assert.Empty(t, clk.Sleeps())

	began := time.Now()
	require.NoError(t, clk.Sleep(context.Background(), time.Hour))
	assert.Less(t, time.Since(began), time.Minute, "Sleep does not wait")
	assert.Equal(t, start.Add(time.Hour), clk.Now())
	clk.Advance(90 * time.Second)
	assert.Equal(t, start.Add(time.Hour+90*time.Second), clk.Now())
	require.NoError(t, clk.Sleep(context.Background(), 0))
	require.NoError(t, clk.Sleep(context.Background(), -time.Second))
	assert.Equal(t, start.Add(time.Hour+90*time.Second), clk.Now(), "a wait of zero or less moves nothing")
	assert.Equal(t, []time.Duration{time.Hour, 0, -time.Second}, clk.Sleeps(), "every wait asked for, Advance not among them")

	// A done context ends the wait before it starts, as with a real clock.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, clk.Sleep(ctx, time.Second), context.Canceled)
	assert.Len(t, clk.Sleeps(), 3)
	assert.Equal(t, start.Add(time.Hour+90*time.Second), clk.Now())

	// Sleeps is a copy.
	clk.Sleeps()[0] = 0
	assert.Equal(t, time.Hour, clk.Sleeps()[0])

	assert.PanicsWithValue(t, "pipedrivetest: Clock.Advance: negative duration -1s", func() { clk.Advance(-time.Second) })
}

func TestClockConcurrentUse(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_ = clk.Sleep(context.Background(), time.Second)
			clk.Advance(time.Second)
			_ = clk.Now()
		})
	}
	wg.Wait()
	assert.Len(t, clk.Sleeps(), 20)
	assert.Equal(t, start.Add(40*time.Second), clk.Now())
}

// A Clock shared by the server and the client: the client's wait for the rate-limit
// window to reset takes none of the test's time.
func ExampleClock() {
	clk := pipedrivetest.NewClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(1, 2*time.Second), pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	client := srv.Client(pipedrive.WithClock(clk))

	// The first answer says x-ratelimit-remaining: 0, so before the second call the client
	// waits for the window to reset rather than spend a 429.
	for range 2 {
		f, err := client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{
			RemoteID: "123magicfile123", Item: pipedrive.Deal(12),
		})
		fmt.Println(f.ID, f.AddTime.Format(time.TimeOnly), err)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	fmt.Println("waits:", clk.Sleeps(), "statuses:", statuses)
	// Output:
	// 1 09:00:00 <nil>
	// 2 09:00:02 <nil>
	// waits: [2s] statuses: [200 200]
}
