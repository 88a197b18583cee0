package pipedrive_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// A plain-http base URL would send the token across the network unencrypted: it is
// refused unless the host is loopback (a test server, serve-fake), as for api_domain.
func TestPlainHTTPBaseURLOnlyForLoopback(t *testing.T) {
	t.Parallel()
	for _, base := range []string{
		"http://api.pipedrive.com/v1",
		"http://acme.pipedrive.com/api/v1",
		"HTTP://acme.pipedrive.com/api/v1",
		"http://10.0.0.1:8080/api/v1",
		"http://192.168.1.2:8080/api/v1",
		"http://[2001:db8::1]/v1",
		"http://localhost.example.com/v1",
		"http://127.0.0.1.nip.io/v1",
		"http://0.0.0.0:8080/v1",
	} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithBaseURL(base))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "pipedrive: WithBaseURL: http is allowed only for a loopback host; use https")
		})
	}
	for _, base := range []string{
		"https://acme.pipedrive.com/api/v1",
		"https://10.0.0.1:8443/api/v1",
		"http://127.0.0.1:8080/api/v1",
		"http://127.0.0.2/api/v1",
		"http://localhost:1234/api/v1",
		"http://LOCALHOST/api/v1",
		"http://[::1]:8080/api/v1",
	} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithBaseURL(base))
			require.NoError(t, err)
		})
	}
}

// url.Parse's errors quote the input, or the part of it they choke on (the port, a
// bracketed host): a token pasted there must not come back in WithBaseURL's error.
func TestBaseURLErrorsDoNotEchoTheURL(t *testing.T) {
	t.Parallel()
	const tok = testToken
	for _, tc := range []struct{ base, reason string }{
		{"https://acme.pipedrive.com:" + tok + "/api/v1", "invalid port"},
		{"https://acme.pipedrive.com:80" + tok + "/api/v1", "invalid port"},
		{"https://[::1]:" + tok + "/api/v1", "invalid port"},
		{"https://[" + tok + "]/api/v1", "invalid host"},
		{"https://[fe80::1%" + tok + "]/api/v1", "invalid host"},
		{"https://" + tok + "^.pipedrive.com/api/v1", `invalid character "^" in host name`},
		{"https://" + tok + "%zz.pipedrive.com/api/v1", `invalid URL escape "%zz"`},
		{"https://acme.pipedrive.com/api/v1/" + tok + "\x7f", "control character"},
		{"a" + tok + "://acme.pipedrive.com/api/v1", "scheme is not http or https"},
		{"https://u:" + tok + "@acme.pipedrive.com/api/v1", "must not carry credentials"},
		{"https://acme.pipedrive.com/api/v1?api_token=" + tok, "must not have a query or fragment"},
		{"http://" + tok + ".example.com/api/v1", "http is allowed only for a loopback host"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			_, err := pipedrive.NewClient(pipedrive.WithAPIToken(testToken), pipedrive.WithBaseURL(tc.base))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "pipedrive: WithBaseURL: ")
			assert.Contains(t, err.Error(), tc.reason)
			for _, e := range errorTree(err) {
				for _, piece := range append(secretPieces(tok), url.QueryEscape(tc.base)) {
					assert.NotContains(t, e.Error(), piece)
				}
			}
		})
	}
}
