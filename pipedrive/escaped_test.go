package pipedrive_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// escapeEvery returns s with every character JSON-\u-escaped ("\u0039\u0066...").
func escapeEvery(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// escapeAlternate escapes every other character, in upper-case hex: what no fixed list of
// forms can foresee.
func escapeAlternate(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i%2 == 0 {
			fmt.Fprintf(&b, `\u%04X`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stringsIn returns every string in a decoded JSON value, keys included.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(append(out, k), stringsIn(e)...)
		}
		return out
	}
	return nil
}

// A server (or proxy) that echoes the token inside a JSON body with \u escapes spells it
// for anyone who decodes APIError.Body: every escaped form is redacted in Body too, which
// stays valid JSON, in every auth mode.
func TestEscapedTokenIsRedactedInBody(t *testing.T) {
	t.Parallel()
	forms := map[string]func(string) string{
		"every character \\u-escaped":       escapeEvery,
		"every other character \\u-escaped": escapeAlternate,
	}
	for _, mode := range tokenModes {
		for name, escape := range forms {
			t.Run(mode.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
					tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + r.Header.Get("X-Api-Token") + r.URL.Query().Get("api_token")
					e := escape(tok)
					body := `{"success":false,"error":"bad token ` + e + `","error_info":"` + e + `",` +
						`"data":{"echo":["` + e + `",{"` + e + `":"x` + e + `y"}]},"additional_data":null}`
					replyJSON(401, body)(w, r)
				})
				c := mode.client(t, api.baseURL())

				_, err := createDoc(t.Context(), c)
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				require.ErrorIs(t, err, pipedrive.ErrUnauthorized)
				var decoded any
				require.NoError(t, json.Unmarshal(apiErr.Body, &decoded), "Body is still JSON: %s", apiErr.Body)
				texts := stringsIn(decoded)
				require.NotEmpty(t, texts)
				for _, text := range append(texts, apiErr.Message, apiErr.Info, string(apiErr.Body), err.Error()) {
					for _, piece := range secretPieces(testToken) {
						require.NotContains(t, text, piece)
					}
				}
				assert.Equal(t, "bad token [REDACTED]", apiErr.Message)
				assert.Contains(t, texts, "x[REDACTED]y")
			})
		}
	}
}

// The other escapes a proxy's page may use, HTML character references and URL
// percent-escapes of characters that need none, are undone before the token is looked
// for too.
func TestHTMLAndPercentEscapedTokenIsRedactedInBody(t *testing.T) {
	t.Parallel()
	var entities, percent strings.Builder
	for i, r := range testToken {
		if i%2 == 0 {
			fmt.Fprintf(&entities, "&#x%x;", r)
			fmt.Fprintf(&percent, "%%%02X", r)
		} else {
			fmt.Fprintf(&entities, "&#%d;", r)
			percent.WriteRune(r)
		}
	}
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			page := "<html><body>Blocked: " + entities.String() + " <a href=\"/x?k=" + percent.String() + "\">retry</a></body></html>"
			api := newFakeAPI(t, replyRaw(502, "text/html", page))
			c := mode.client(t, api.baseURL())

			_, err := createDoc(t.Context(), c)
			var apiErr *pipedrive.APIError
			require.ErrorAs(t, err, &apiErr)
			body := string(apiErr.Body)
			unescaped, uerr := url.PathUnescape(body)
			require.NoError(t, uerr)
			for _, text := range []string{body, html.UnescapeString(body), unescaped, err.Error()} {
				for _, piece := range secretPieces(testToken) {
					require.NotContains(t, text, piece)
				}
			}
			assert.Equal(t, "<html><body>Blocked: [REDACTED] <a href=\"/x?k=[REDACTED]\">retry</a></body></html>", body)
		})
	}
}
