package pipedrive_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// A 429 showing the daily budget spent is returned at once, whatever its Retry-After,
// and further calls fail without being sent, reporting the rest of that wait (here
// longer than MaxWait), until MaxWait has passed: then one request checks the budget
// (TestDailyHoldEndsByTheNextUTCDayAndProbesAfterMaxWait has a Retry-After of years).
func TestDaily429FailsFastUntilTheWaitHasPassed(t *testing.T) {
	t.Parallel()
	for name, spent := range map[string]string{
		"tokens":   "X-Daily-Ratelimit-Token-Remaining",
		"requests": "X-Daily-Requests-Left",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, inTurn(
				replyJSON(429, rateLimited, spent, "0", "Retry-After", "2", "X-Ratelimit-Remaining", "5", "X-Ratelimit-Reset", "1"),
				replyJSON(200, minimalSuccessJSON),
			))
			clk := newFakeClock()
			c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: time.Second}))

			_, err := createDoc(t.Context(), c)
			var rl *pipedrive.RateLimitError
			require.ErrorAs(t, err, &rl)
			assert.Equal(t, int64(1), api.count(), "a short Retry-After is not retried: it cannot succeed")
			assert.True(t, rl.Daily)
			assert.Equal(t, 2*time.Second, rl.RetryAfter)
			assert.ErrorIs(t, err, pipedrive.ErrRateLimited)
			assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
			assert.Equal(t, "pipedrive: POST /files/remote: 429 Too Many Requests: Request over limit (daily budget spent, retry after 2s)", err.Error())
			assert.Empty(t, clk.Sleeps())

			clk.Advance(500 * time.Millisecond)
			_, err = c.Files.LinkRemote(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: "abc", Item: pipedrive.Deal(12)})
			require.ErrorAs(t, err, &rl)
			assert.Equal(t, int64(1), api.count(), "not sent")
			assert.True(t, rl.Daily)
			assert.Equal(t, 1500*time.Millisecond, rl.RetryAfter)
			assert.ErrorIs(t, err, pipedrive.ErrRateLimited)
			assert.Equal(t, "pipedrive: POST /files/remoteLink: 429 Too Many Requests: not sent: the daily rate limit is spent (daily budget spent, retry after 1.5s)", err.Error())

			clk.Advance(500 * time.Millisecond) // MaxWait since the 429: one request checks
			_, err = createDoc(t.Context(), c)
			require.NoError(t, err)
			assert.Equal(t, int64(2), api.count())
			_, err = createDoc(t.Context(), c)
			require.NoError(t, err, "the check found the budget back")
			assert.Equal(t, int64(3), api.count())
			assert.Empty(t, clk.Sleeps())
		})
	}
}

// Without Retry-After, a daily 429 holds calls for MaxWait, then one is sent to find out.
func TestDaily429WithoutRetryAfterHoldsForMaxWait(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(429, rateLimited, "X-Daily-Ratelimit-Token-Remaining", "0", "X-Ratelimit-Reset", "1"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: 10 * time.Second}))

	_, err := createDoc(t.Context(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, 10*time.Second, rl.RetryAfter, "the hold; x-ratelimit-reset is the 2-second window, not the daily reset")
	clk.Advance(4 * time.Second)
	_, err = createDoc(t.Context(), c)
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 6*time.Second, rl.RetryAfter)
	assert.Equal(t, int64(1), api.count())
	clk.Advance(6 * time.Second)
	_, err = createDoc(t.Context(), c)
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, int64(2), api.count(), "the hold is over: one request finds the budget still spent")
}

// A short Retry-After on a daily 429 does not mean a retry can succeed: calls are held,
// failing at once unsent, for MaxWait; then one request checks the budget, and the others
// keep failing at once until it is answered.
func TestDaily429ShortRetryAfterHoldsForMaxWaitThenOneChecks(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var (
		n    atomic.Int64
		hold atomic.Bool // the next request waits for release
	)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			replyJSON(429, rateLimited, "X-Daily-Ratelimit-Token-Remaining", "0", "Retry-After", "0.1")(w, r)
			return
		}
		if hold.CompareAndSwap(true, false) {
			arrived <- struct{}{}
			<-release
		}
		replyJSON(200, minimalSuccessJSON, "X-Daily-Ratelimit-Token-Remaining", "990")(w, r)
	})
	clk := newFakeClock()
	c := newClient(t, f.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: 10 * time.Second}))

	_, err := createDoc(t.Context(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, 10*time.Second, rl.RetryAfter, "until the hold ends")

	clk.Advance(100 * time.Millisecond) // the server's Retry-After has passed
	_, err = createDoc(t.Context(), c)
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 9900*time.Millisecond, rl.RetryAfter)
	assert.Equal(t, int64(1), n.Load(), "not sent")

	clk.Advance(9900 * time.Millisecond)
	hold.Store(true) // the check is held until the test has made another call meanwhile
	checked := make(chan error, 1)
	go func() {
		_, err := createDoc(t.Context(), c)
		checked <- err
	}()
	<-arrived
	_, err = createDoc(t.Context(), c)
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, "pipedrive: POST /files/remote: 429 Too Many Requests: not sent: the daily rate limit was spent, and a request is out to check whether it has reset (daily budget spent)", err.Error())
	assert.Equal(t, int64(2), n.Load(), "one request checks")
	close(release)
	require.NoError(t, <-checked)

	_, err = createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n.Load())
	assert.Empty(t, clk.Sleeps())
}

// A window the server says is spent for longer than MaxWait is not waited for: the call
// fails at once, unsent.
func TestPacingRefusesAWaitPastMaxWait(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: time.Second}))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)

	_, err = createDoc(t.Context(), c)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.False(t, rl.Daily)
	assert.Equal(t, 2*time.Second, rl.RetryAfter)
	assert.Equal(t, 0, rl.RateLimit.Remaining, "the state the refusal was based on")
	assert.Contains(t, err.Error(), "not sent: the rate-limit window is spent for longer than the retry policy's MaxWait")
	assert.Equal(t, int64(1), api.count())
	assert.Empty(t, clk.Sleeps())
}

// With pacing off, a spent window is the server's business: the call is sent at once.
func TestNoRetryDoesNotPace(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2"))
	clk := newFakeClock()
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.NoRetry))
	for range 3 {
		_, err := createDoc(t.Context(), c)
		require.NoError(t, err)
	}
	assert.Equal(t, int64(3), api.count())
	assert.Empty(t, clk.Sleeps())
}

// countingLimiter counts Wait calls and fails them with err.
type countingLimiter struct {
	waits atomic.Int64
	err   error
}

func (l *countingLimiter) Wait(context.Context) error {
	l.waits.Add(1)
	return l.err
}

// The caller's limiter is waited for before every request, retries included, and even
// with pacing off; when it fails, nothing is sent.
func TestWithRateLimiter(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, inTurn(replyJSON(429, rateLimited, "Retry-After", "1"), replyJSON(200, minimalSuccessJSON)))
	lim := &countingLimiter{}
	c := newClient(t, api.baseURL(), retries, pipedrive.WithRateLimiter(lim))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(2), lim.waits.Load(), "once per request sent")

	strict := newClient(t, api.baseURL(), pipedrive.WithRetry(pipedrive.NoRetry), pipedrive.WithRateLimiter(lim))
	_, err = createDoc(t.Context(), strict)
	require.NoError(t, err)
	assert.Equal(t, int64(3), lim.waits.Load())

	boom := errors.New("shared budget exhausted")
	refusing := newClient(t, api.baseURL(), retries, pipedrive.WithRateLimiter(&countingLimiter{err: boom}))
	_, err = createDoc(t.Context(), refusing)
	assert.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "not sent: waiting for the rate limiter")
	assert.Equal(t, int64(3), api.count())

	_, err = pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithRateLimiter(nil))
	assert.EqualError(t, err, "pipedrive: WithRateLimiter: limiter is nil")
	var none *rate.Limiter
	_, err = pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithRateLimiter(none))
	assert.EqualError(t, err, "pipedrive: WithRateLimiter: limiter is nil")
}

// clockLimiter records the time on clk at each Wait, and fails the first failures.
type clockLimiter struct {
	clk      *pipedrivetest.Clock
	mu       sync.Mutex
	times    []time.Time
	failures int
}

func (l *clockLimiter) Wait(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times = append(l.times, l.clk.Now())
	if l.failures > 0 {
		l.failures--
		return errors.New("no turn")
	}
	return nil
}

// waits is the times of the Waits so far.
func (l *clockLimiter) waits() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.times)
}

// The caller's limiter is the last wait before a request is sent, after the pacing's:
// a limiter shared by several processes hands out turns on one schedule, and a request
// the pacing held after its turn would go out in another's. A call the pacing refuses
// takes no turn.
func TestRateLimiterIsWaitedForAfterThePacing(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "2"))
	clk := newFakeClock()
	t0 := clk.Now()
	lim := &clockLimiter{clk: clk}
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), retries, pipedrive.WithRateLimiter(lim))
	for range 2 {
		_, err := createDoc(t.Context(), c)
		require.NoError(t, err)
	}
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.Sleeps(), "the pacing held the second call for the window")
	assert.Equal(t, []time.Time{t0, t0.Add(2 * time.Second)}, lim.waits(), "and the limiter was asked after that")

	short := newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(pipedrive.RetryPolicy{MaxRetries: 3, MaxWait: time.Second}), pipedrive.WithRateLimiter(lim))
	_, err := createDoc(t.Context(), short)
	require.NoError(t, err)
	_, err = createDoc(t.Context(), short)
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl, "a window spent for longer than MaxWait")
	assert.Len(t, lim.waits(), 3, "the refused call took no turn")
	assert.Equal(t, int64(3), api.count())
}

// A limiter that fails gives the pacing's admission back: the next call is not held
// waiting for an answer to a request that was never sent.
func TestFailedRateLimiterReleasesThePacing(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Limit", "1", "X-Ratelimit-Remaining", "1", "X-Ratelimit-Reset", "2"))
	clk := newFakeClock()
	lim := &clockLimiter{clk: clk, failures: 1}
	c := newClient(t, api.baseURL(), pipedrive.WithClock(clk), retries, pipedrive.WithRateLimiter(lim))
	_, err := createDoc(t.Context(), c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not sent: waiting for the rate limiter: no turn")
	assert.Equal(t, int64(0), api.count())

	_, err = createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Empty(t, clk.Sleeps(), "nothing in flight to wait for")
	assert.Equal(t, int64(1), api.count())
}

// A *rate.Limiter is a pipedrive.RateLimiter, as the callers of WithRateLimiter before
// the type was named passed it.
var _ pipedrive.RateLimiter = (*rate.Limiter)(nil)

// golang.org/x/time/rate.Limiter fits WithRateLimiter: a second call within its interval
// waits for it, or fails unsent when the context ends first.
func TestWithRateLimiterTimeRate(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	c := newClient(t, api.baseURL(), retries, pipedrive.WithRateLimiter(rate.NewLimiter(rate.Every(time.Hour), 1)))
	_, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = createDoc(ctx, c)
	require.Error(t, err, "an hour's wait does not fit in the context's minute")
	assert.Contains(t, err.Error(), "not sent: waiting for the rate limiter")
	assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Equal(t, int64(1), api.count())
}
