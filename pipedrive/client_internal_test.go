package pipedrive

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type wrappedTransport struct{ http.RoundTripper }

// Tracing libraries replace http.DefaultTransport with a wrapper; NewClient must not
// panic on the type assertion then. Not parallel: it swaps a global for its duration.
func TestDefaultTransportWhenReplaced(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = wrappedTransport{orig}
	defer func() { http.DefaultTransport = orig }()

	c, err := NewClient(WithAPIToken("t"))
	require.NoError(t, err)
	tr, ok := c.transport.hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
	assert.NotNil(t, tr.Proxy)
}
