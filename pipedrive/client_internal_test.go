package pipedrive

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

type wrappedTransport struct{ http.RoundTripper }

// Tracing libraries replace http.DefaultTransport with a wrapper; the default client must
// not panic on the type assertion then, and gets Go's settings with more idle connections.
// An *http.Transport is copied, never modified.
func TestDefaultTransport(t *testing.T) {
	t.Parallel()
	tr := defaultTransport(wrappedTransport{http.DefaultTransport})
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
	assert.Equal(t, 128, tr.MaxIdleConns)
	assert.NotNil(t, tr.Proxy)

	base := &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute}
	tr = defaultTransport(base)
	assert.NotSame(t, base, tr)
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
	assert.Equal(t, time.Minute, tr.IdleConnTimeout, "the base's settings are kept")
	assert.Equal(t, 2, base.MaxIdleConnsPerHost, "the base is not modified")
}

// domainSource hands out, on each call, an expired token (so the next call asks again)
// for the api_domain next returns.
type domainSource struct{ next func() string }

func (s domainSource) Token() (*oauth2.Token, error) {
	tok := &oauth2.Token{AccessToken: "access", Expiry: time.Now().Add(-time.Minute)}
	return tok.WithExtra(map[string]any{"api_domain": s.next()}), nil
}

// domainClients is how many api_domain clients are cached.
func (c *Client) domainClients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.domainAPI)
}

// A token source that rotates api_domain does not grow the per-domain client cache
// without limit, and the domain in use stays cached while others come and go.
func TestDomainClientCacheIsBounded(t *testing.T) {
	t.Parallel()
	n := 0
	c, err := NewClient(WithTokenSource(domainSource{func() string {
		n++
		if n%2 == 1 {
			return "https://home.pipedrive.com"
		}
		return fmt.Sprintf("https://c%d.pipedrive.com", n)
	}}))
	require.NoError(t, err)
	home, err := c.apiFor()
	require.NoError(t, err)
	for i := 2; i <= 200; i++ {
		api, err := c.apiFor()
		require.NoError(t, err)
		if i%2 == 1 {
			require.Same(t, home, api, "the domain in use is not evicted")
		} else {
			require.Equal(t, fmt.Sprintf("https://c%d.pipedrive.com/api/v1/", i), api.Server)
		}
		require.LessOrEqual(t, c.domainClients(), maxDomainClients)
	}
	assert.Equal(t, maxDomainClients, c.domainClients())
}

// roundTripFunc answers requests with a function, counting nothing itself.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// What the transport resends depends on the request's method, not on the operation name
// the context carries (a name only): a POST is never resent after a 502, whatever it is
// called, and a GET is, even unnamed.
func TestRetrySafetyFollowsTheMethod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		op     operation
		want   int
	}{
		{http.MethodPost, "GET /looks/like/a/read", 1},
		{http.MethodGet, "", 2},
		{http.MethodHead, "", 2},
	} {
		sent := 0
		hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			sent++
			return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
		})}
		clk := &stepClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
		c, err := NewClient(WithAPIToken(TestToken), WithHTTPClient(hc), WithClock(clk), WithRetry(RetryPolicy{MaxRetries: 1, MaxWait: time.Second, BaseDelay: time.Millisecond}))
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(withOperation(t.Context(), tc.op), tc.method, "https://acme.pipedrive.com/api/v1/x", nil)
		require.NoError(t, err)
		resp, err := c.transport.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, tc.want, sent, "%s named %q", tc.method, tc.op)
	}
}
