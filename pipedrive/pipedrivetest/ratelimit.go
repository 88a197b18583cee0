package pipedrivetest

import (
	"net/http"
	"strconv"
	"time"
)

// Token costs of requests the spec has no operation for (a 404 or 405 answer); an
// operation costs its x-token-cost. postCost also sets x-daily-requests-left.
const (
	postCost = 10 // a POST (or PUT)
	getCost  = 20 // a list GET (one page)
)

// tokenCost is what a request the spec does not know costs: a GET 20 tokens, anything
// else 10.
func tokenCost(method string) int {
	if method == http.MethodGet {
		return getCost
	}
	return postCost
}

// limiter is the burst window and the daily token budget. The Server's mutex guards it.
type limiter struct {
	limit  int
	window time.Duration
	start  time.Time // when the current window began; zero before the first request
	used   int

	daily     int    // tokens per day
	dailyUsed int    // tokens spent today, at most daily
	day       string // the UTC date dailyUsed counts for
}

// quota is the rate-limit state one response reports.
type quota struct {
	limit, remaining      int
	reset                 time.Duration // until the window resets
	dailyLimit, dailyLeft int           // tokens
	untilMidnight         time.Duration // Retry-After, once the daily budget is spent
	over                  string        // "" if admitted, else which limit refused it
	requestsLeft          bool          // send x-daily-requests-left: an API-token POST or PUT
}

// admit counts a request costing cost tokens at now unless a limit is spent; a refused
// request is not counted. The daily budget is checked first: while it is spent, every
// request is refused until midnight UTC, whatever the window has left. A request is
// admitted while any token is left, and the budget never goes below zero, so the answer
// that refuses one always shows x-daily-ratelimit-token-remaining: 0.
func (l *limiter) admit(now time.Time, cost int) quota {
	if l.start.IsZero() || now.Before(l.start) || now.Sub(l.start) >= l.window {
		l.start, l.used = now, 0
	}
	if day := now.UTC().Format(time.DateOnly); day != l.day {
		l.day, l.dailyUsed = day, 0
	}
	q := quota{limit: l.limit, reset: l.start.Add(l.window).Sub(now), dailyLimit: l.daily}
	switch {
	case l.dailyUsed >= l.daily:
		q.over = "daily"
		y, m, d := now.UTC().Date()
		q.untilMidnight = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now)
	case l.used >= l.limit:
		q.over = "burst"
	default:
		l.used++
		l.dailyUsed = min(l.dailyUsed+cost, l.daily)
	}
	q.remaining = l.limit - l.used
	q.dailyLeft = l.daily - l.dailyUsed
	return q
}

// setHeaders writes the headers Pipedrive sends with every response. Times are in whole
// seconds, rounded up, so that a client waiting that long finds the limit reset.
// x-daily-requests-left, on the answers to API-token POSTs and PUTs only (as Pipedrive
// documents it), is the number of POSTs the tokens left would pay for, rounded up: a
// request is admitted while any token is left, so it is 0 only when none is.
func (q quota) setHeaders(h http.Header) {
	h.Set("X-Ratelimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("X-Ratelimit-Reset", seconds(q.reset))
	h.Set("X-Daily-Ratelimit-Token-Limit", strconv.Itoa(q.dailyLimit))
	h.Set("X-Daily-Ratelimit-Token-Remaining", strconv.Itoa(q.dailyLeft))
	if q.requestsLeft {
		h.Set("X-Daily-Requests-Left", strconv.Itoa((q.dailyLeft+postCost-1)/postCost))
	}
	if q.over == "daily" {
		h.Set("Retry-After", seconds(q.untilMidnight))
	}
}

// seconds is d in whole seconds, rounded up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
