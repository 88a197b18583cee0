package bulk

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestRunDoesEachRowOnce(t *testing.T) {
	t.Parallel()
	var plan []Row
	for i := range 40 {
		plan = append(plan, create(2*i+2, int64(i%5+1), fmt.Sprintf("Doc %d", i%10))) // each title twice per deal
		plan = append(plan, link(2*i+3, pipedrive.Person(int64(i%3+1)), driveID(i)))
	}
	fx := setup(t, plan...)
	_, _, err := fx.files.Files.EnsureLinked(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: driveID(0), Item: pipedrive.Person(1)})
	require.NoError(t, err)
	before := fx.posts()

	var (
		mu       sync.Mutex
		finished []Result
	)
	r := fx.mustRun(func(o *Options) {
		o.OnRow = func(res Result) { // called by every worker
			mu.Lock()
			defer mu.Unlock()
			finished = append(finished, res)
		}
	})
	assert.Equal(t, 79, fx.posts()-before, "one request per row but the link already there")
	for d := 1; d <= 5; d++ {
		for i := range 10 {
			if i%5+1 == d {
				assert.Equal(t, 4, fx.count(pipedrive.Deal(int64(d)), fmt.Sprintf("Doc %d", i)), "deal %d doc %d", d, i)
			}
		}
	}
	st := fx.state(r, 3)
	assert.Equal(t, Done, st.Status)
	assert.Equal(t, AlreadyLinked, st.How)
	for line, s := range fx.statuses(r) {
		assert.Equal(t, Done, s, line)
	}
	assert.Len(t, finished, 80, "OnRow once per row")
	assert.Zero(t, len(r.items.m)+len(r.content.m), "no lock left behind")

	// Again: nothing to do.
	r = fx.mustRun(nil)
	assert.Equal(t, 79, fx.posts()-before)
	for res, err := range r.Results() {
		require.NoError(t, err)
		assert.True(t, res.State.Earlier, res.Row.Line)
		assert.Equal(t, Done, res.State.Status, res.Row.Line)
	}
}

// A create whose answer is lost is found on the item at once; a link's is left to
// EnsureLinked, and an outcome it cannot settle stays unknown.
func TestRunLostAnswers(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "Lost"), create(3, 2, "Never made"), link(4, pipedrive.Deal(3), driveID(1)))
	fx.files.fault = func(_ int, item pipedrive.Item) (bool, error) {
		return item.ID == 1, lost() // deal 1's create is carried out, the others not; all answers lost
	}
	var finished []Status
	r := fx.mustRun(func(o *Options) {
		o.Workers = 1
		o.OnRow = func(res Result) { finished = append(finished, res.State.Status) }
	})
	assert.Equal(t, map[int]Status{2: Done, 3: Unknown, 4: Unknown}, fx.statuses(r))
	assert.Equal(t, Found, fx.state(r, 2).How)
	assert.Equal(t, []Status{Done, Unknown, Unknown}, finished, "each row reported once, with its final state")
	assert.Equal(t, 1, fx.count(pipedrive.Deal(1), "Lost"))
	assert.Equal(t, 1, fx.posts(), "no row sent twice in one run")
	assert.Contains(t, fx.state(r, 3).Err, "the file is not on the item yet")

	// The next run looks again: deal 2's file is still not there, so it is sent now.
	fx.files.setFault(nil)
	r = fx.mustRun(nil)
	assert.Equal(t, map[int]Status{2: Done, 3: Done, 4: Done}, fx.statuses(r))
	assert.True(t, fx.state(r, 2).Earlier)
	assert.Equal(t, 1, fx.count(pipedrive.Deal(1), "Lost"))
	assert.Equal(t, 1, fx.count(pipedrive.Deal(2), "Never made"))
	assert.Len(t, fx.srv.Files(), 3)
}

// Rows an earlier run left sending are looked for first. Two identical rows whose files
// were both made find one each; when only one was made, the other is sent.
func TestRunResumesCreatesLeftSending(t *testing.T) {
	t.Parallel()
	for _, made := range []int{0, 1, 2} {
		fx := setup(t, create(2, 1, "Twin"), create(3, 1, "Twin"))
		fx.leaveSending(made, 2, 3)
		fx.clock.Advance(time.Second)
		r := fx.mustRun(nil)
		assert.Equal(t, map[int]Status{2: Done, 3: Done}, fx.statuses(r), "made %d", made)
		assert.Equal(t, []time.Duration{pipedrive.SettleTime - time.Second}, fx.settled, "one wait for the calls left in flight to settle")
		assert.Equal(t, 2, fx.count(pipedrive.Deal(1), "Twin"), "made %d: exactly one file per row", made)
		assert.Equal(t, 2-made, fx.posts()-made, "made %d: only the missing files are sent", made)
		assert.NotEqual(t, fx.state(r, 2).FileID, fx.state(r, 3).FileID)
	}
}

// A link row left sending is looked for before anything is sent: EnsureLinked finds the
// earlier run's link, and no second link is sent.
func TestRunResumesLinksLeftSending(t *testing.T) {
	t.Parallel()
	for _, made := range []bool{false, true} {
		fx := setup(t, link(2, pipedrive.Person(1), driveID(7)))
		ctx, abandon := context.WithCancel(t.Context())
		fx.files.fault = func(int, pipedrive.Item) (bool, error) {
			if made { // the link reaches Pipedrive, its answer does not
				_, _, err := fx.files.Files.EnsureLinked(context.Background(), *fx.plan[0].Link)
				require.NoError(t, err)
			}
			abandon()
			return false, context.Canceled
		}
		r, err := fx.run(ctx, nil)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, Sending, fx.state(r, 2).Status)
		links := fx.posts()

		fx.files.setFault(nil)
		r = fx.mustRun(nil)
		st := fx.state(r, 2)
		assert.Equal(t, Done, st.Status)
		want, sent := Linked, 1
		if made {
			want, sent = Found, 0
		}
		assert.Equal(t, want, st.How, "made %v", made)
		assert.Equal(t, sent, fx.posts()-links, "made %v: links sent by the second run", made)
		assert.Equal(t, 1, fx.count(pipedrive.Person(1), "Drive "+driveID(7)), "made %v", made)
	}
}

// The settle wait counts from when the earlier run ended, not from when its rows were
// about to be sent: a create that took a minute to time out, or was abandoned after a
// minute, was on its way all that time, so a rerun a second later waits the rest of
// SettleTime.
func TestRunSettleWaitCountsFromTheEarlierRunsEnd(t *testing.T) {
	t.Parallel()
	for _, abandon := range []bool{false, true} {
		fx := setup(t, create(2, 1, "Slow"))
		ctx, abandonNow := context.WithCancel(t.Context())
		fx.files.fault = func(int, pipedrive.Item) (bool, error) {
			fx.clock.Advance(time.Minute)
			if abandon {
				abandonNow()
				return false, context.Canceled
			}
			return false, &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: http.StatusGatewayTimeout}
		}
		_, err := fx.run(ctx, func(o *Options) { o.Workers = 1 })
		if abandon {
			require.ErrorIs(t, err, context.Canceled)
		} else {
			require.NoError(t, err)
		}

		fx.files.setFault(nil)
		fx.clock.Advance(time.Second)
		fx.settled = nil
		r := fx.mustRun(nil)
		assert.Equal(t, []time.Duration{pipedrive.SettleTime - time.Second}, fx.settled, "abandon %v", abandon)
		assert.Equal(t, map[int]Status{2: Done}, fx.statuses(r))
		assert.Equal(t, 1, fx.count(pipedrive.Deal(1), "Slow"))
	}
}

// apiError is Pipedrive refusing a POST with status.
func apiError(status int, msg string) error {
	return &pipedrive.APIError{Operation: "POST /files/remote", StatusCode: status, Message: msg}
}

// Pipedrive refusing a row fails it and the run goes on; a refusal every row would meet
// stops the run with a *StopError that wraps it.
func TestRunFailuresAndStops(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 4, "x"), create(3, 2, "x"), create(4, 1, "x"), create(5, 5, "x"), create(6, 6, "x"))
	fx.files.fault = func(_ int, item pipedrive.Item) (bool, error) {
		switch item.ID {
		case 4:
			return false, apiError(404, "Deal not found")
		case 1:
			return false, apiError(401, "unauthorized access")
		}
		return true, nil
	}
	r, err := fx.run(t.Context(), func(o *Options) { o.Workers = 1 })
	var stop *StopError
	require.ErrorAs(t, err, &stop)
	assert.Equal(t, 4, stop.Line)
	assert.ErrorIs(t, err, pipedrive.ErrUnauthorized)
	assert.Equal(t, map[int]Status{2: Failed, 3: Done, 4: NotSent, 5: NotStarted, 6: NotStarted}, fx.statuses(r))
	st := fx.state(r, 2)
	assert.Equal(t, 404, st.HTTP)
	assert.Equal(t, "pipedrive: POST /files/remote: 404 Not Found: Deal not found", st.Err)
	assert.Equal(t, 401, fx.state(r, 4).HTTP)

	// The next run goes on from there: the 401 row is sent again without RetryFailed.
	fx.files.setFault(nil)
	r = fx.mustRun(nil)
	assert.Equal(t, map[int]Status{2: Failed, 3: Done, 4: Done, 5: Done, 6: Done}, fx.statuses(r))
	assert.True(t, fx.state(r, 3).Earlier)
}

// A server error on EnsureLinked's look, or a refusal of the account, is not the row's
// fault: not sent, the run stops, and the next run does it.
func TestRunStopsOnErrorsEveryRowWouldMeet(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusPaymentRequired, http.StatusForbidden} {
		fx := setup(t, link(2, pipedrive.Deal(1), driveID(1)), link(3, pipedrive.Deal(2), driveID(2)))
		fx.srv.FailNext(status, "")
		r, err := fx.run(t.Context(), func(o *Options) { o.Workers = 1 })
		var stop *StopError
		require.ErrorAs(t, err, &stop, status)
		var api *pipedrive.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, status, api.StatusCode)
		assert.Equal(t, map[int]Status{2: NotSent, 3: NotStarted}, fx.statuses(r), status)
		r = fx.mustRun(nil)
		assert.Equal(t, map[int]Status{2: Done, 3: Done}, fx.statuses(r), status)
	}
}

// A rate limit the client gave up waiting for: not sent, and sent by the next run even
// without RetryFailed.
func TestRunStopsOnARateLimit(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "x"), create(3, 2, "x"))
	fx.files.fault = func(int, pipedrive.Item) (bool, error) {
		return false, &pipedrive.RateLimitError{APIError: &pipedrive.APIError{StatusCode: 429}, RetryAfter: time.Hour}
	}
	r, err := fx.run(t.Context(), func(o *Options) { o.Workers = 1 })
	var rl *pipedrive.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, map[int]Status{2: NotSent, 3: NotStarted}, fx.statuses(r))
	fx.files.setFault(nil)
	r = fx.mustRun(nil)
	assert.Equal(t, map[int]Status{2: Done, 3: Done}, fx.statuses(r))
}

// Failed rows stay failed unless retried; a retried create is looked for first.
func TestRunRetryFailed(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 4, "x"))
	fx.files.fault = func(int, pipedrive.Item) (bool, error) { return false, apiError(404, "") }
	fx.mustRun(nil)
	fx.files.setFault(nil)
	r := fx.mustRun(nil)
	assert.Equal(t, map[int]Status{2: Failed}, fx.statuses(r))
	assert.Zero(t, fx.posts())
	remaining, total, err := fx.runner(nil).Remaining()
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 1}, [2]int{remaining, total}, "a failed row is not sent again")
	remaining, total, err = fx.runner(func(o *Options) { o.RetryFailed = true }).Remaining()
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 1}, [2]int{remaining, total}, "unless retried")
	r = fx.mustRun(func(o *Options) { o.RetryFailed = true })
	assert.Equal(t, map[int]Status{2: Done}, fx.statuses(r))
	assert.Equal(t, 1, fx.posts())

	// With RetryFailed, a row an earlier run left sending that fails in the first pass
	// (rows left in flight) is not sent again by the second pass of the same run.
	fx = setup(t, create(2, 4, "x"), create(3, 4, "y"))
	fx.leaveSending(0, 2, 3)
	fx.files.setFault(func(int, pipedrive.Item) (bool, error) { return false, apiError(404, "") })
	r = fx.mustRun(func(o *Options) { o.RetryFailed, o.Workers = true, 1 })
	assert.Equal(t, map[int]Status{2: Failed, 3: Failed}, fx.statuses(r))
	assert.Equal(t, 2, fx.files.calls, "each row sent once in this run")
}

// When the item is deleted while a lost create is looked for, the 404 fails the row: it
// is not read as "not created", and the create is never sent again.
func TestRunItemDeletedWhileLooking(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "Gone"))
	fx.files.fault = func(int, pipedrive.Item) (bool, error) {
		fx.srv.FailNext(http.StatusNotFound, `{"success":false,"error":"Deal not found","error_info":"","data":null}`) // the look's list
		return false, lost()
	}
	r := fx.mustRun(func(o *Options) { o.Workers = 1 })
	st := fx.state(r, 2)
	assert.Equal(t, Failed, st.Status)
	assert.Equal(t, http.StatusNotFound, st.HTTP)
	assert.Contains(t, st.Err, "looking for the file on the item")
	fx.files.setFault(nil)
	r = fx.mustRun(nil)
	assert.Equal(t, Failed, fx.state(r, 2).Status)
	assert.Zero(t, fx.posts(), "never sent")
	assert.Equal(t, 1, fx.files.calls, "the create was tried once")
}

// Shutdown lets the calls in flight finish and starts no more rows.
func TestShutdownLetsCallsInFlightFinish(t *testing.T) {
	t.Parallel()
	var plan []Row
	for i := range 20 {
		plan = append(plan, create(i+2, int64(i+1), "x"))
	}
	fx := setup(t, plan...)
	r := fx.runner(func(o *Options) { o.Workers = 1 })
	shut := make(chan error, 1)
	fx.files.fault = func(call int, _ pipedrive.Item) (bool, error) {
		if call == 5 {
			go func() { shut <- r.Shutdown(context.Background()) }()
			for !r.isClosing() {
				time.Sleep(time.Millisecond) // until Shutdown has stopped new rows
			}
		}
		return true, nil
	}
	err := r.Run(t.Context())
	assert.ErrorIs(t, err, ErrRunnerClosed)
	require.NoError(t, <-shut)
	done := 0
	for _, s := range fx.statuses(r) {
		if s == Done {
			done++
		}
	}
	assert.Equal(t, 5, done, "the row in flight finished, no other started")
	assert.Equal(t, 5, fx.posts())
}

// Close abandons the calls in flight: their rows stay Sending for the next run.
func TestCloseAbandonsCallsInFlight(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "x"), create(3, 2, "y"))
	r := fx.runner(func(o *Options) { o.Workers = 1 })
	fx.files.fault = func(int, pipedrive.Item) (bool, error) {
		go r.Close()
		for !r.isClosing() {
			time.Sleep(time.Millisecond)
		}
		return false, context.Canceled
	}
	err := r.Run(t.Context())
	assert.ErrorIs(t, err, ErrRunnerClosed)
	assert.Equal(t, map[int]Status{2: Sending, 3: NotStarted}, fx.statuses(r))
}

func TestRunnerRunsOnce(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "x"))
	r := fx.runner(nil)
	require.NoError(t, r.Run(t.Context()))
	assert.ErrorContains(t, r.Run(t.Context()), "Run called twice")

	r = fx.runner(nil)
	require.NoError(t, r.Shutdown(t.Context()))
	assert.ErrorIs(t, r.Run(t.Context()), ErrRunnerClosed)
	assert.Equal(t, 1, fx.posts())

	// A Runner made without Files is for reading: it never runs.
	j, err := ReadJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(t, err)
	defer j.Close()
	readOnly, err := New(nil, j, Slice(fx.plan), Options{})
	require.NoError(t, err)
	assert.Equal(t, Done, readOnly.State(fx.ids()[0]).Status)
	assert.ErrorContains(t, readOnly.Run(t.Context()), "no Files to send through")
}

// A row that is neither a create nor a link is refused before anything is sent; a
// create the library refuses fails alone.
func TestRunRowChecks(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "ok"), Row{Line: 3})
	j, err := OpenJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(t, err)
	defer j.Close()
	_, err = New(fx.files, j, Slice(fx.plan), Options{})
	assert.ErrorIs(t, err, ErrInvalidRow)
	assert.ErrorContains(t, err, "line 3")

	fx = setup(t, create(2, 1, " "), create(3, 1, "ok"))
	r := fx.mustRun(nil)
	st := fx.state(r, 2)
	assert.Equal(t, Failed, st.Status)
	assert.Contains(t, st.Err, "Title")
	assert.Equal(t, Done, fx.state(r, 3).Status)
	assert.Equal(t, 1, fx.posts())
}

// A plan that cannot be read, or yields other rows during the run than when New read
// it, stops the run: a row would be recorded under another row's id.
func TestRunPlanErrors(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	j, err := OpenJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(t, err)
	defer j.Close()
	boom := errors.New("disk on fire")
	_, err = New(fx.files, j, func() iter.Seq2[Row, error] {
		return func(yield func(Row, error) bool) {
			if yield(create(2, 1, "a"), nil) {
				yield(Row{}, boom)
			}
		}
	}, Options{})
	assert.ErrorIs(t, err, boom)

	for name, second := range map[string][]Row{
		"another row": {create(2, 1, "a"), create(3, 2, "c")},
		"fewer rows":  {create(2, 1, "a")},
		"more rows":   {create(2, 1, "a"), create(3, 1, "b"), create(4, 1, "d")},
		"reordered":   {create(3, 1, "b"), create(2, 1, "a")},
	} {
		calls := 0
		plan := func() iter.Seq2[Row, error] {
			calls++
			if calls == 1 {
				return Slice([]Row{create(2, 1, "a"), create(3, 1, "b")})()
			}
			return Slice(second)()
		}
		r, err := New(fx.files, j, plan, Options{Workers: 1, Clock: fx.clock})
		require.NoError(t, err, name)
		assert.ErrorContains(t, r.Run(t.Context()), "bulk: reading the plan: ", name)
	}
}
