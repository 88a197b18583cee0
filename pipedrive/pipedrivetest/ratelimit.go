package pipedrivetest

import (
	"net/http"
	"strconv"
	"time"
)

// limiter is the burst window and the daily budget. The Server's mutex guards it.
type limiter struct {
	limit  int
	window time.Duration
	start  time.Time // when the current window began; zero before the first request
	used   int

	daily     int
	dailyUsed int
	day       string // the UTC date dailyUsed counts for
}

// quota is the rate-limit state one response reports.
type quota struct {
	limit, remaining, dailyLeft int
	reset                       time.Duration // until the window (or, once spent, the day) resets
	over                        string        // "" if admitted, else which limit refused it
}

// admit counts a request at now unless a limit is spent; a refused request is not
// counted.
func (l *limiter) admit(now time.Time) quota {
	if l.start.IsZero() || now.Before(l.start) || now.Sub(l.start) >= l.window {
		l.start, l.used = now, 0
	}
	if day := now.UTC().Format(time.DateOnly); day != l.day {
		l.day, l.dailyUsed = day, 0
	}
	q := quota{limit: l.limit, reset: l.start.Add(l.window).Sub(now)}
	switch {
	case l.used >= l.limit:
		q.over = "burst"
	case l.dailyUsed >= l.daily:
		q.over = "daily"
		y, m, d := now.UTC().Date()
		q.reset = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now)
	default:
		l.used++
		l.dailyUsed++
	}
	q.remaining = l.limit - l.used
	q.dailyLeft = l.daily - l.dailyUsed
	return q
}

// setHeaders writes the headers Pipedrive sends with every response. x-ratelimit-reset is
// in whole seconds, rounded up so that a client waiting that long finds the window reset.
func (q quota) setHeaders(h http.Header) {
	h.Set("X-Ratelimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(int64((q.reset+time.Second-1)/time.Second), 10))
	h.Set("X-Daily-Requests-Left", strconv.Itoa(q.dailyLeft))
}
