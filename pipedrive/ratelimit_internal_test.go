package pipedrive

import (
	"net/http"
	"net/textproto"
	"testing"
)

// headerValue looks the rate-limit headers up without canonicalizing their names, so
// the names must be canonical already; it then reads what http.Header.Get reads.
func TestHeaderNamesAreCanonical(t *testing.T) {
	t.Parallel()
	for _, k := range []string{hdrLimit, hdrRemaining, hdrReset, hdrDailyLeft, hdrDailyTokLimit, hdrDailyTokRemain, hdrRetryAfter} {
		if c := textproto.CanonicalMIMEHeaderKey(k); c != k {
			t.Errorf("%q is not canonical (%q)", k, c)
		}
		h := http.Header{}
		if got := headerValue(h, k); got != "" {
			t.Errorf("headerValue(empty, %q) = %q", k, got)
		}
		h.Add(k, "7")
		h.Add(k, "8")
		if got, want := headerValue(h, k), h.Get(k); got != want {
			t.Errorf("headerValue(%q) = %q, Get = %q", k, got, want)
		}
	}
}
