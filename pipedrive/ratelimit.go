package pipedrive

import (
	"net/http"
	"strconv"
	"time"
)

// RateLimit is the rate-limit state a response reported. Pipedrive limits each token to a
// number of requests per rolling 2-second window and each company to a daily token
// budget (each remote-file call costs 10 tokens).
//
// A count whose header was absent or unreadable is -1, so "not reported" is never
// mistaken for "none left"; Known says whether any of the headers was present.
type RateLimit struct {
	// Limit is the number of requests allowed per window (x-ratelimit-limit).
	Limit int
	// Remaining is the number left in the current window (x-ratelimit-remaining).
	Remaining int
	// Reset is the time until the window resets (x-ratelimit-reset, in seconds); -1 if
	// not reported.
	Reset time.Duration
	// DailyRequestsLeft is what remains of the daily request budget
	// (x-daily-requests-left), which Pipedrive documents for API-token requests on the
	// answers to POST and PUT only: -1 after a GET or a DELETE.
	DailyRequestsLeft int
	// DailyTokenLimit is the company's daily token budget (x-daily-ratelimit-token-limit).
	DailyTokenLimit int
	// DailyTokenRemaining is what remains of it (x-daily-ratelimit-token-remaining).
	DailyTokenRemaining int
	// Known is true when the response carried at least one rate-limit header.
	Known bool
}

// unknownRateLimit is the RateLimit of a response without any rate-limit header.
func unknownRateLimit() RateLimit {
	return RateLimit{Limit: -1, Remaining: -1, Reset: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1}
}

// The rate-limit headers Pipedrive sends.
const (
	hdrLimit          = "X-Ratelimit-Limit"
	hdrRemaining      = "X-Ratelimit-Remaining"
	hdrReset          = "X-Ratelimit-Reset"
	hdrDailyLeft      = "X-Daily-Requests-Left"
	hdrDailyTokLimit  = "X-Daily-Ratelimit-Token-Limit"
	hdrDailyTokRemain = "X-Daily-Ratelimit-Token-Remaining"
	hdrRetryAfter     = "Retry-After"
)

// parseRateLimit reads the rate-limit headers; garbage values count as absent.
func parseRateLimit(h http.Header) RateLimit {
	rl := unknownRateLimit()
	rl.Limit = headerInt(h, hdrLimit, &rl.Known)
	rl.Remaining = headerInt(h, hdrRemaining, &rl.Known)
	rl.DailyRequestsLeft = headerInt(h, hdrDailyLeft, &rl.Known)
	rl.DailyTokenLimit = headerInt(h, hdrDailyTokLimit, &rl.Known)
	rl.DailyTokenRemaining = headerInt(h, hdrDailyTokRemain, &rl.Known)
	if v := headerValue(h, hdrReset); v != "" {
		if d, ok := parseSeconds(v); ok {
			rl.Reset, rl.Known = d, true
		}
	}
	return rl
}

// headerValue is h.Get(key) for a key in canonical form, as every header name above is
// (TestHeaderNamesAreCanonical): the key is looked up as it is, not canonicalized again
// on each of the lookups every answer gets.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerInt returns the header's non-negative integer value, or -1.
func headerInt(h http.Header, key string, known *bool) int {
	v := headerValue(h, key)
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	*known = true
	return n
}

// maxSeconds bounds a wait read from a header: about 31 years, far below what a
// time.Duration holds, so larger values (and NaN or infinities) count as absent.
const maxSeconds = 1e9

// parseSeconds reads a non-negative number of seconds, possibly fractional. NaN, an
// infinity or anything beyond maxSeconds counts as absent: NaN fails every comparison,
// so it is rejected by requiring the value to be inside the range.
func parseSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= maxSeconds) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// dailySpent reports whether the answer shows the daily budget spent: no tokens
// (x-daily-ratelimit-token-remaining: 0) or no requests (x-daily-requests-left: 0) left.
func (rl RateLimit) dailySpent() bool {
	return rl.DailyTokenRemaining == 0 || rl.DailyRequestsLeft == 0
}

// retryAfter is how long a 429 asks to wait: Retry-After (seconds or an HTTP date), else
// x-ratelimit-reset, believed only up to Pipedrive's 2-second window (fallbackWindow);
// ok is false when the response says neither.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := retryAfterHeader(h, now); ok {
		return d, true
	}
	if v := h.Get(hdrReset); v != "" {
		if d, ok := parseSeconds(v); ok {
			return min(d, fallbackWindow), true
		}
	}
	return 0, false
}

// retryAfterHeader reads Retry-After alone (seconds or an HTTP date): the wait for a
// spent daily budget, which x-ratelimit-reset (the 2-second window) says nothing about.
func retryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get(hdrRetryAfter); v != "" {
		if d, ok := parseSeconds(v); ok {
			return d, true
		}
		if t, err := http.ParseTime(v); err == nil && t.Sub(now) <= maxSeconds*time.Second {
			return max(t.Sub(now), 0), true
		}
	}
	return 0, false
}
