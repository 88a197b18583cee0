package pipedrive_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// forever is a wait no client should believe: about 31 years, the most a header may say.
const forever = "999999999"

// lockoutPolicy retries, with MaxWait 10 s.
var lockoutPolicy = pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: 10 * time.Second, BaseDelay: 100 * time.Millisecond})

// requireNotSent asserts that err is a call refused unsent by the client's pacing.
func requireNotSent(t *testing.T, err error) *pipedrive.RateLimitError {
	t.Helper()
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	require.Contains(t, rl.Message, "not sent")
	return rl
}

// Pipedrive's burst window is 2 seconds: an answer saying that it resets in 31 years is
// believed only that far. The next call waits 2 s and is sent, rather than failing unsent
// until the process restarts. The same holds for a 429 that gives only x-ratelimit-reset.
func TestBurstResetIsBelievedOnlyForTheWindow(t *testing.T) {
	t.Parallel()
	t.Run("200 with nothing left", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, inTurn(
			replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", forever),
			replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "19", "X-Ratelimit-Reset", "2"),
		))
		clk := newFakeClock()
		c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), lockoutPolicy)
		_, err := createDoc(t.Context(), c)
		require.NoError(t, err)
		_, err = createDoc(t.Context(), c)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps(), "the window's 2 s, not 31 years")
		assert.Equal(t, int64(2), api.count())
	})
	t.Run("429 with x-ratelimit-reset alone", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, inTurn(
			replyJSON(429, rateLimited, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", forever),
			replyJSON(200, minimalSuccessJSON),
		))
		clk := newFakeClock()
		c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), lockoutPolicy)
		_, err := createDoc(t.Context(), c)
		require.NoError(t, err, "retried after the window")
		assert.Equal(t, int64(2), api.count())
		for _, d := range clk.Sleeps() {
			assert.LessOrEqual(t, d, 2*time.Second)
		}
	})
}

// No single answer stops the client sending for longer than MaxWait. A 429 asking to wait
// 31 years fails at once (it is not retried: the wait is past MaxWait), and so does every
// call, unsent, until MaxWait has passed since that answer; then one request goes out to
// find out, and when it succeeds the client sends as before.
func TestLongRetryAfterStopsSendingForMaxWaitAtMost(t *testing.T) {
	t.Parallel()
	for name, headers := range map[string][]string{
		"without window headers": {"Retry-After", forever},
		"with window headers":    {"Retry-After", forever, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1"},
	} {
		for _, known := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: ", window known before"}[known], func(t *testing.T) {
				t.Parallel()
				var n atomic.Int64
				locked := int64(1)
				if known {
					locked = 2
				}
				api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) == locked {
						replyJSON(429, rateLimited, headers...)(w, r)
						return
					}
					replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "19", "X-Ratelimit-Reset", "2")(w, r)
				})
				clk := newFakeClock()
				c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), lockoutPolicy)
				if known {
					_, err := createDoc(t.Context(), c)
					require.NoError(t, err)
				}

				_, err := createDoc(t.Context(), c)
				var rl *pipedrive.RateLimitError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, 999999999*time.Second, rl.RetryAfter, "what the server said")
				require.Equal(t, locked, api.count(), "not retried: the wait is past MaxWait")

				clk.Advance(9 * time.Second)
				_, err = createDoc(t.Context(), c)
				rl = requireNotSent(t, err)
				assert.Positive(t, rl.RetryAfter)
				require.Equal(t, locked, api.count())

				clk.Advance(time.Second) // MaxWait since the 429
				_, err = createDoc(t.Context(), c)
				require.NoError(t, err, "one request went out to find out")
				require.Equal(t, locked+1, api.count())
				for range 3 {
					_, err = createDoc(t.Context(), c)
					require.NoError(t, err)
				}
				assert.Equal(t, locked+4, api.count())
				assert.Empty(t, clk.Sleeps(), "nobody waited")
			})
		}
	}
}

// A window spent for longer than a MaxWait shorter than the window itself: calls fail
// unsent, but only until MaxWait has passed; then one goes.
func TestSpentWindowStopsSendingForMaxWaitAtMost(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(
		replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", forever),
		replyJSON(200, minimalSuccessJSON),
	))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: time.Second}))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	_, err = createDoc(t.Context(), c)
	rl := requireNotSent(t, err)
	assert.Equal(t, 2*time.Second, rl.RetryAfter, "the window, believed for 2 s")
	clk.Advance(time.Second)
	_, err = createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(2), api.count())
	assert.Empty(t, clk.Sleeps(), "sent at MaxWait, not at the window's end")
}

// A spent daily budget may hold calls until the next UTC day (not for the 31 years its
// Retry-After says), but one request still goes out after MaxWait to find out; while the
// budget stays spent, each answer holds calls for MaxWait again, and once it is back the
// client sends as before.
func TestDailyHoldEndsByTheNextUTCDayAndProbesAfterMaxWait(t *testing.T) {
	t.Parallel()
	var spent atomic.Bool
	spent.Store(true)
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if spent.Load() {
			replyJSON(429, rateLimited, "X-Daily-Ratelimit-Token-Remaining", "0", "Retry-After", forever)(w, r)
			return
		}
		replyJSON(200, minimalSuccessJSON, "X-Daily-Ratelimit-Token-Remaining", "990")(w, r)
	})
	clk := newFakeClock() // 12:00 UTC: the next UTC day is 12 hours away
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), lockoutPolicy)

	_, err := createDoc(t.Context(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, 12*time.Hour, rl.RetryAfter, "held until the next UTC day at most")

	clk.Advance(9 * time.Second)
	_, err = createDoc(t.Context(), c)
	rl = requireNotSent(t, err)
	assert.True(t, rl.Daily)
	assert.Equal(t, 12*time.Hour-9*time.Second, rl.RetryAfter)
	assert.Equal(t, int64(1), api.count())

	clk.Advance(time.Second) // MaxWait: one request checks, and finds the budget spent
	_, err = createDoc(t.Context(), c)
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.NotContains(t, rl.Message, "not sent")
	assert.Equal(t, int64(2), api.count())
	_, err = createDoc(t.Context(), c)
	requireNotSent(t, err)
	assert.Equal(t, int64(2), api.count(), "held again")

	spent.Store(false)
	clk.Advance(10 * time.Second)
	for range 3 {
		_, err = createDoc(t.Context(), c)
		require.NoError(t, err)
	}
	assert.Equal(t, int64(5), api.count())
	assert.Empty(t, clk.Sleeps())
}

// After a stop longer than MaxWait, exactly one request goes out to find out: the calls
// made while it is out fail at once, unsent, and the client sends as before once its
// answer says it may.
func TestOnlyOneCheckGoesAfterALongStop(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var n atomic.Int64
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			replyJSON(429, rateLimited, "Retry-After", forever)(w, r)
			return
		case 2: // the check: held until the test has made another call meanwhile
			arrived <- struct{}{}
			<-release
		}
		replyJSON(200, minimalSuccessJSON)(w, r)
	})
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), lockoutPolicy)
	_, err := createDoc(t.Context(), c)
	require.ErrorIs(t, err, pipedrive.ErrRateLimited)

	clk.Advance(10 * time.Second)
	checked := make(chan error, 1)
	go func() {
		_, err := createDoc(t.Context(), c)
		checked <- err
	}()
	select {
	case <-arrived:
	case err := <-checked:
		t.Fatalf("no request went out to check: %v", err)
	}
	for range 3 {
		_, err = createDoc(t.Context(), c)
		requireNotSent(t, err)
	}
	assert.Equal(t, int64(2), api.count(), "the first request and the check")
	close(release)
	require.NoError(t, <-checked)
	_, err = createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(3), api.count())
}
