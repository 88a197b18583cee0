package pipedrive_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// apiTokenOptions are the two options that take an API token.
var apiTokenOptions = map[string]func(string) pipedrive.Option{
	"WithAPIToken":        pipedrive.WithAPIToken,
	"WithAPITokenInQuery": pipedrive.WithAPITokenInQuery,
}

// A token that cannot be Pipedrive's is refused: too short to be redacted without
// garbling every message (and giving itself away), not printable ASCII, or holding a
// space. The error says why without echoing the token, nor any piece of it.
func TestImplausibleAPITokensAreRefused(t *testing.T) {
	t.Parallel()
	tokens := []struct {
		name, token, reason string
	}{
		{"one character", "Z", "fewer than 20 characters"},
		{"19 characters", "Qx9Wv7Kp3Rt5Yz1Bn8M", "fewer than 20 characters"},
		{"non-ASCII", "ключ-ключ-ключ-ключ-ключ", "printable ASCII"},
		{"non-ASCII letter in hex", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1é", "printable ASCII"},
		{"space inside", "9f86d081884c7d659a2f eaa0c55ad015a3bf4f1b", "whitespace or control characters"},
		{"leading space", " 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "whitespace or control characters"},
		{"trailing space", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b ", "whitespace or control characters"},
		{"tab", "9f86d081884c7d659a2f\teaa0c55ad015a3bf4f1b", "whitespace or control characters"},
		{"NUL", "9f86d081884c7d659a2f\x00eaa0c55ad015a3bf4f1b", "whitespace or control characters"},
		{"DEL", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\x7f", "whitespace or control characters"},
		{"newline inside", "9f86d081884c7d659a2f\neaa0c55ad015a3bf4f1b", "whitespace or control characters"},
		{"two lines", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\nsecond-line-of-the-file\n", "whitespace or control characters"},
		{"only a newline", "\n", "empty"},
	}
	for opt, with := range apiTokenOptions {
		for _, tc := range tokens {
			t.Run(opt+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := pipedrive.NewClient(with(tc.token))
				require.Error(t, err)
				assert.Contains(t, err.Error(), "pipedrive: "+opt+": ")
				assert.Contains(t, err.Error(), tc.reason)
				text := err.Error()
				if trimmed := strings.TrimSpace(tc.token); trimmed != "" {
					assert.NotContains(t, text, trimmed)
					assert.NotContains(t, text, url.QueryEscape(trimmed))
				}
				for _, piece := range secretPieces(tc.token) {
					assert.NotContains(t, text, piece)
				}
			})
		}
	}
}

// Tokens of Pipedrive's shape, and any other of at least 20 printable ASCII characters
// without spaces, are accepted. A token read from a file keeps its line break (os.ReadFile
// does not strip it as the shell's $(cat file) does): a trailing "\n" or "\r\n" is trimmed,
// and the token is sent without it.
func TestPlausibleAPITokensAreAccepted(t *testing.T) {
	t.Parallel()
	for opt, with := range apiTokenOptions {
		for _, tc := range []struct{ given, sent string }{
			{testToken, testToken},
			{"01234567890123456789", "01234567890123456789"},
			{"a+b/c=d&e%f~!@#$^*()[]{}", "a+b/c=d&e%f~!@#$^*()[]{}"},
			{testToken + "\n", testToken},
			{testToken + "\r\n", testToken},
			{testToken + "\n\n", testToken},
		} {
			t.Run(opt+"/"+url.QueryEscape(tc.given), func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
				c := newClientWith(t, with(tc.given), api.baseURL())
				_, err := createDoc(t.Context(), c)
				require.NoError(t, err)
				got := api.onlyRequest(t)
				sent := got.Header.Get("X-Api-Token")
				if opt == "WithAPITokenInQuery" {
					q, err := url.ParseQuery(got.RawQuery)
					require.NoError(t, err)
					sent = q.Get("api_token")
				}
				assert.Equal(t, tc.sent, sent)
			})
		}
	}
}
