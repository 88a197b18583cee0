package pipedrive_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// unreadableWaits are header values that parse as numbers (or dates) but are no wait:
// NaN, infinities, and values beyond any sensible range.
var unreadableWaits = []string{"NaN", "nan", "+Inf", "-Inf", "Infinity", "1e400", "1e10", "-1", "9223372036854775807", "Fri, 31 Dec 9999 23:59:59 GMT"}

// A non-finite or out-of-range x-ratelimit-reset is reported as absent (-1), not as a
// reset of -2562047h.
func TestNonFiniteResetCountsAsAbsent(t *testing.T) {
	t.Parallel()
	for _, v := range unreadableWaits {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON, "X-Ratelimit-Reset", v))
			c := newClient(t, api.baseURL())
			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			require.NoError(t, err)
			rl := c.RateLimit()
			assert.Equal(t, time.Duration(-1), rl.Reset)
			assert.False(t, rl.Known, "no rate-limit header could be read")
		})
	}
}

// A 429 whose Retry-After (and x-ratelimit-reset) is NaN or out of range asks for no
// wait: the error says none, and a retry backs off as if no header had been sent.
func TestNonFiniteRetryAfterCountsAsAbsent(t *testing.T) {
	t.Parallel()
	for _, v := range unreadableWaits {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(429, rateLimited, "Retry-After", v, "X-Ratelimit-Reset", v))
			c := newClient(t, api.baseURL())
			_, err := c.Files.CreateRemote(t.Context(), validCreate())
			var rlErr *pipedrive.RateLimitError
			require.ErrorAs(t, err, &rlErr)
			assert.Zero(t, rlErr.RetryAfter)
			assert.NotContains(t, err.Error(), "retry after")

			clk := newFakeClock()
			policy := pipedrive.RetryPolicy{MaxRetries: 2, BaseDelay: 100 * time.Millisecond, MaxWait: 10 * time.Second}
			c = newClient(t, api.baseURL(), pipedrive.WithClock(clk), pipedrive.WithRetry(policy))
			_, err = c.Files.CreateRemote(t.Context(), validCreate())
			require.ErrorIs(t, err, pipedrive.ErrRateLimited)
			requireBackoff(t, clk.Sleeps(), 2, 100*time.Millisecond) // as if no header had been sent
		})
	}
}

// statusTransport answers every request with one status, which no real server sends
// (a status below 100), without touching the network.
type statusTransport int

func (s statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: int(s), Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// A status below 100, as a broken proxy or RoundTripper might hand back after the POST
// went out, is an outcome-unknown APIError, not a success and not a refusal.
func TestStatusBelow100IsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	for _, status := range []int{0, 1, 99} {
		c := newClient(t, "", pipedrive.WithHTTPClient(&http.Client{Transport: statusTransport(status)}))
		f, err := c.Files.CreateRemote(t.Context(), validCreate())
		assert.Nil(t, f)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, status, apiErr.StatusCode)
		requireSentinels(t, err, "ErrOutcomeUnknown")
	}
}
