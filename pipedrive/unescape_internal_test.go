package pipedrive

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Escaped spellings of a secret are replaced whole, whatever the mix of escapes; text
// around them, and escapes that spell nothing secret, are kept as they are.
func TestReplaceEscaped(t *testing.T) {
	t.Parallel()
	const sec = "ab/cd+ef0123456789xyz"
	forms := []string{sec}
	for _, tc := range []struct{ in, want string }{
		{`no escapes at all ` + sec, `no escapes at all ` + sec}, // the plain pass's job, not this one's
		{`"\u0061\u0062\/cd+ef0123456789xyz"`, `"[REDACTED]"`},
		{`"ab\/cd+ef0123456789xyz"`, `"[REDACTED]"`}, // PHP's json_encode escapes "/"
		{`x&#97;&#x62;/cd&#43;ef0123456789xyz&amp;y`, `x[REDACTED]&amp;y`},
		{`?k=%61b%2Fcd%2Bef0123456789xyz&next=1`, `?k=[REDACTED]&next=1`},
		{`%\u0061b/cd+ef0123456789xyz`, `%[REDACTED]`}, // a "%" just before the escaped secret
		{`%61\u0062/cd+ef0123456789xyz`, `[REDACTED]`}, // two kinds in one spelling
		{`\u0061b/cd+ef0123456789xyz \u0061b/cd+ef0123456789xyz`, `[REDACTED] [REDACTED]`},
		{`\u0061b/cd+ef0123456789xy`, `\u0061b/cd+ef0123456789xy`}, // not the whole secret
		{`\uD83D\uDE00 \u00e9 %zz &#xZZ; \q \u12`, `\uD83D\uDE00 \u00e9 %zz &#xZZ; \q \u12`},
	} {
		assert.Equal(t, tc.want, replaceEscaped(tc.in, forms), tc.in)
	}
	// A surrogate pair decodes to one rune, so a secret holding one is found.
	emoji := "token-with-\U0001F600-in-it-0123"
	assert.Equal(t, "[REDACTED]", replaceEscaped(`token-with-\uD83D\uDE00-in-it-0123`, []string{emoji}))
	assert.Equal(t, strings.Repeat("[REDACTED]", 1), replaceEscaped(`\u0061b/cd+ef0123456789xyz`, []string{sec, sec[2:]}), "overlapping finds are one")
}
