package pipedrive

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A secret straddling the cut, split at every position, in every credential: the text is
// redacted before it is cut, so what is kept ends before the secret, or after a whole
// [REDACTED] mark, never with a part of either. A piece of the secret that the server's
// own cut left (so it is no longer the whole secret) is dropped too.
func TestCutNeverKeepsPartOfASecret(t *testing.T) {
	t.Parallel()
	const secret = TestToken
	oauth := newBearer(nil)
	oauth.remember(secret, "refresh-"+secret)
	creds := map[string]credential{"header": newHeaderToken(secret), "query": newQueryToken(secret), "oauth": oauth}
	const keep = 64
	filler := strings.Repeat("x", keep)
	for name, cred := range creds {
		r := &redactor{cred: cred}
		for k := 1; k < len(secret); k++ {
			want := filler[:keep-k]
			if k >= len(redactedMark) {
				want = (want + redactedMark + "</html>")[:min(keep, len(want)+len(redactedMark+"</html>"))]
			}
			require.Equal(t, want, r.cut(filler[:keep-k]+secret+"</html>", keep), "%s: whole secret, split after %d", name, k)
			if k+1 < len(secret) {
				require.Equal(t, filler[:keep-k], r.cut(filler[:keep-k]+secret[:k+1]+"</html>", keep), "%s: a piece of it, split after %d", name, k)
			}
		}
		require.Equal(t, "short "+redactedMark, r.cut("short "+secret, keep), "%s: nothing to cut", name)
	}
}
