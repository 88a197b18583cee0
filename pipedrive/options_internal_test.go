package pipedrive

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default HTTP client must not wait forever, and neither client may follow a
// redirect with the token (the caller's own client keeps its nil CheckRedirect; the
// library's copy gets one).
func TestHTTPClientDefaults(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIToken(TestToken))
	require.NoError(t, err)
	assert.Equal(t, 60*time.Second, c.transport.hc.Timeout)
	assert.NotNil(t, c.transport.hc.CheckRedirect)

	mine := &http.Client{Timeout: 3 * time.Second}
	c, err = NewClient(WithAPIToken(TestToken), WithHTTPClient(mine))
	require.NoError(t, err)
	assert.NotSame(t, mine, c.transport.hc, "a copy, not the caller's client")
	assert.Equal(t, 3*time.Second, c.transport.hc.Timeout)
	assert.NotNil(t, c.transport.hc.CheckRedirect)
	assert.Nil(t, mine.CheckRedirect)
}
