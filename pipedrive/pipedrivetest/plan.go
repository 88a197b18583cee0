package pipedrivetest

import (
	"fmt"
	"time"
)

// BurstWindow is the window of Pipedrive's burst limit: a token may send a plan's
// BurstLimit requests per 2 seconds.
const BurstWindow = 2 * time.Second

// dailyTokensPerSeat is Pipedrive's daily token budget per seat, before the plan's
// multiplier.
const dailyTokensPerSeat = 30_000

// Plan is a Pipedrive subscription plan, on which its rate limits depend. WithPlan gives a
// server the limits of one, and its methods give the figures, as Pipedrive's rate-limiting
// documentation states them (https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting).
type Plan string

// The plans, from the cheapest.
const (
	PlanEssential    Plan = "essential"
	PlanAdvanced     Plan = "advanced"
	PlanProfessional Plan = "professional"
	PlanPower        Plan = "power"
	PlanEnterprise   Plan = "enterprise"
)

// planLimits are a plan's documented figures.
type planLimits struct {
	burst      int // API-token requests per BurstWindow
	multiplier int // of the daily token budget
}

// limits are the figures of each plan.
var limits = map[Plan]planLimits{
	PlanEssential:    {burst: 20, multiplier: 1},
	PlanAdvanced:     {burst: 40, multiplier: 2},
	PlanProfessional: {burst: 80, multiplier: 3},
	PlanPower:        {burst: 100, multiplier: 5},
	PlanEnterprise:   {burst: 120, multiplier: 7},
}

// Plans returns Pipedrive's plans, from the cheapest: essential, advanced, professional,
// power and enterprise.
func Plans() []Plan {
	return []Plan{PlanEssential, PlanAdvanced, PlanProfessional, PlanPower, PlanEnterprise}
}

// ParsePlan returns the plan named name, one of Plans as written there (lower case). The
// error lists the plans.
func ParsePlan(name string) (Plan, error) {
	if p := Plan(name); p.Valid() {
		return p, nil
	}
	return "", fmt.Errorf("pipedrivetest: unknown plan %q: want essential, advanced, professional, power or enterprise", name)
}

// Valid reports whether p is one of Plans.
func (p Plan) Valid() bool {
	_, ok := limits[p]
	return ok
}

// BurstLimit is the number of requests an API token may send per BurstWindow on the plan:
// 20 (essential), 40 (advanced), 80 (professional), 100 (power) or 120 (enterprise); 0
// for an invalid plan. (Pipedrive allows OAuth apps 4 times as many; the fake does not
// tell them apart.)
func (p Plan) BurstLimit() int { return limits[p].burst }

// DailyMultiplier is the plan's multiplier of the daily token budget: 1 (essential), 2
// (advanced), 3 (professional), 5 (power) or 7 (enterprise); 0 for an invalid plan.
func (p Plan) DailyMultiplier() int { return limits[p].multiplier }

// DailyBudget is the plan's daily token budget for a company with one seat: 30,000 tokens
// times DailyMultiplier, so 30,000 on essential and 210,000 on enterprise (a remote-file
// POST costs 10 tokens, a list page 20). Pipedrive multiplies it by the company's seats
// as well, which WithDailyBudget(p.DailyBudget()*seats) models.
func (p Plan) DailyBudget() int { return dailyTokensPerSeat * p.DailyMultiplier() }

// WithPlan gives the server the rate limits of plan p for API-token requests: p.BurstLimit
// requests per BurstWindow, and p.DailyBudget tokens a day. It is WithRateLimit and
// WithDailyBudget with those figures, so whichever of these options comes last sets the
// limit it sets. Without any of them, a server's limits are far above every plan's. It
// panics if p is not one of Plans.
func WithPlan(p Plan) Option {
	if !p.Valid() {
		panic(fmt.Sprintf("pipedrivetest: WithPlan: unknown plan %q: want essential, advanced, professional, power or enterprise", string(p)))
	}
	return func(o *options) {
		o.limit, o.window, o.daily = p.BurstLimit(), BurstWindow, p.DailyBudget()
	}
}
