package pipedrivetest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// The figures of Pipedrive's rate-limiting documentation, for API tokens.
func TestPlanFigures(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []pipedrivetest.Plan{"essential", "advanced", "professional", "power", "enterprise"}, pipedrivetest.Plans())
	type figures struct{ burst, multiplier, daily int }
	want := map[pipedrivetest.Plan]figures{
		pipedrivetest.PlanEssential:    {20, 1, 30_000},
		pipedrivetest.PlanAdvanced:     {40, 2, 60_000},
		pipedrivetest.PlanProfessional: {80, 3, 90_000},
		pipedrivetest.PlanPower:        {100, 5, 150_000},
		pipedrivetest.PlanEnterprise:   {120, 7, 210_000},
	}
	for _, p := range pipedrivetest.Plans() {
		assert.True(t, p.Valid(), p)
		assert.Equal(t, want[p], figures{p.BurstLimit(), p.DailyMultiplier(), p.DailyBudget()}, p)
		got, err := pipedrivetest.ParsePlan(string(p))
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	assert.Equal(t, 2*time.Second, pipedrivetest.BurstWindow)

	for _, name := range []string{"gold", "Essential", ""} {
		_, err := pipedrivetest.ParsePlan(name)
		assert.EqualError(t, err, "pipedrivetest: unknown plan "+strconv.Quote(name)+": want essential, advanced, professional, power or enterprise")
		assert.False(t, pipedrivetest.Plan(name).Valid())
		assert.Zero(t, pipedrivetest.Plan(name).BurstLimit())
		assert.Zero(t, pipedrivetest.Plan(name).DailyBudget())
	}
	assert.PanicsWithValue(t, `pipedrivetest: WithPlan: unknown plan "gold": want essential, advanced, professional, power or enterprise`, func() {
		pipedrivetest.WithPlan("gold")
	})
}

// rateHeaders sends one authenticated GET and returns its status and rate-limit headers.
func rateHeaders(t *testing.T, srv *pipedrivetest.Server) (int, [4]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/deals/12/files", nil)
	require.NoError(t, err)
	req.Header = tokenHeader(srv)
	status, h, _ := exchange(t, req)
	return status, [4]string{h.Get("X-Ratelimit-Limit"), h.Get("X-Ratelimit-Remaining"), h.Get("X-Daily-Ratelimit-Token-Limit"), h.Get("X-Daily-Ratelimit-Token-Remaining")}
}

// WithPlan sets both limits to the plan's, and the last of WithPlan, WithRateLimit and
// WithDailyBudget sets each.
func TestWithPlanSetsTheLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []pipedrivetest.Option
		want [4]string // limit, remaining, daily limit, daily remaining after one GET (20 tokens)
	}{
		{"essential", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanEssential)}, [4]string{"20", "19", "30000", "29980"}},
		{"advanced", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanAdvanced)}, [4]string{"40", "39", "60000", "59980"}},
		{"professional", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanProfessional)}, [4]string{"80", "79", "90000", "89980"}},
		{"power", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanPower)}, [4]string{"100", "99", "150000", "149980"}},
		{"enterprise", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanEnterprise)}, [4]string{"120", "119", "210000", "209980"}},
		{"rate limit after plan", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanPower), pipedrivetest.WithRateLimit(7, time.Second)}, [4]string{"7", "6", "150000", "149980"}},
		{"daily budget after plan", []pipedrivetest.Option{pipedrivetest.WithPlan(pipedrivetest.PlanPower), pipedrivetest.WithDailyBudget(500)}, [4]string{"100", "99", "500", "480"}},
		{"plan after both", []pipedrivetest.Option{pipedrivetest.WithRateLimit(7, time.Second), pipedrivetest.WithDailyBudget(500), pipedrivetest.WithPlan(pipedrivetest.PlanAdvanced)}, [4]string{"40", "39", "60000", "59980"}},
		{"no plan", nil, [4]string{"10000", "9999", "1000000", "999980"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := pipedrivetest.NewServer(tc.opts...)
			defer srv.Close()
			status, got := rateHeaders(t, srv)
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, tc.want, got)
		})
	}
}

// On essential, the 21st request within 2 seconds is refused, and the next window admits
// 20 again.
func TestWithPlanEnforcesTheBurstLimit(t *testing.T) {
	t.Parallel()
	clk := pipedrivetest.NewClock(start)
	srv := pipedrivetest.NewServer(pipedrivetest.WithPlan(pipedrivetest.PlanEssential), pipedrivetest.WithClock(clk.Now))
	defer srv.Close()
	count := func() map[int]int {
		got := map[int]int{}
		for range 21 {
			status, _ := rateHeaders(t, srv)
			got[status]++
		}
		return got
	}
	assert.Equal(t, map[int]int{http.StatusOK: 20, http.StatusTooManyRequests: 1}, count())
	clk.Advance(pipedrivetest.BurstWindow)
	assert.Equal(t, map[int]int{http.StatusOK: 20, http.StatusTooManyRequests: 1}, count())
}
