package pipedrivetest

import "time"

// Defaults: generous enough that ordinary tests never meet them, so only a test that asks
// for rate limiting with WithPlan, WithRateLimit or WithDailyBudget sees a 429. They are
// no plan's: the highest plan allows 120 requests per 2 seconds and 210,000 tokens a day.
const (
	defaultLimit  = 10000
	defaultWindow = BurstWindow
	defaultDaily  = 1000000 // tokens: 100,000 POSTs
)

// Option configures a Server in NewServer. Options panic on arguments no test could mean
// (a negative budget, say), as net/http/httptest does on misuse.
type Option func(*options)

// options collects what the Options say.
type options struct {
	noGoogle bool
	limit    int
	window   time.Duration
	daily    int
	now      func() time.Time
	fixtures *Fixtures // WithFixtures's, replacing the seed; nil for the seed

	standalone standalone
}

// WithoutGoogleAccount makes the server behave as for a user with no Google account
// connected in Pipedrive (Settings > Google): every valid create or link fails with 403
// and nothing is stored (listing still works). Pipedrive documents neither the status nor the text for this case; the fake
// answers 403 so that code under test sees an error it must not retry.
func WithoutGoogleAccount() Option {
	return func(o *options) { o.noGoogle = true }
}

// WithRateLimit allows n requests per window (Pipedrive's burst limit is per token over
// 2 seconds, the window to pass unless a test needs another). Once they are spent the
// server answers 429 until the window ends; the window starts with the first request
// after the previous one ended. x-ratelimit-reset is the time left in the window in whole
// seconds, rounded up, as Pipedrive sends it. The default is 10,000 requests per 2
// seconds; WithPlan sets a plan's. It panics if n < 1 or window <= 0.
func WithRateLimit(n int, window time.Duration) Option {
	if n < 1 || window <= 0 {
		panic("pipedrivetest: WithRateLimit: n must be at least 1 and window positive")
	}
	return func(o *options) { o.limit, o.window = n, window }
}

// WithDailyBudget allows n tokens per day (UTC, as the server's clock tells it), counted
// as Pipedrive counts them: each POST or PUT costs 10 tokens, each page of a list 20, a
// GET of one file 2 and a DELETE 6 (the spec's x-token-cost). Every response shows the
// budget in x-daily-ratelimit-token-limit and x-daily-ratelimit-token-remaining, and the
// answers to API-token POSTs and PUTs x-daily-requests-left (the POSTs the tokens left
// pay for, rounded up). A request is served while any token is left; once none is, every request
// is answered 429 with Retry-After counting the seconds until midnight, until the day
// changes, while x-ratelimit-reset keeps describing the burst window. The default is
// 1,000,000 tokens; WithPlan sets a plan's. It panics if n < 0.
func WithDailyBudget(n int) Option {
	if n < 0 {
		panic("pipedrivetest: WithDailyBudget: n must not be negative")
	}
	return func(o *options) { o.daily = n }
}

// WithClock replaces the server's clock, which stamps add_time and update_time and drives
// the rate-limit windows. To test waits without sleeping, give the server and the client
// the same Clock: WithClock(clk.Now) here, pipedrive.WithClock(clk) on the client. It
// panics if now is nil.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("pipedrivetest: WithClock: now is nil")
	}
	return func(o *options) { o.now = now }
}
