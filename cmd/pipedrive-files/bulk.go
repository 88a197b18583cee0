package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// maxWorkers bounds --workers: more calls in flight than this only queue for the rate
// limit.
const maxWorkers = 64

const bulkHelp = `Usage: pipedrive-files bulk [flags] FILE

Creates and links the files a CSV file lists (FILE, or - for standard input), safely
resumable: a journal records each row's progress, so running the same command again skips
the rows already done, looks on the item for the rows whose outcome was lost, and sends
only what is missing. Nothing is created or linked twice.

The CSV has a header row naming its columns, in any order:
  action     create or link
  item_type  deal, person or organization
  item_id    the item's id
  file_type  for create: gdoc, gsheet, gslides, gform or gdraw
  title      for create: the new file's title
  remote_id  for link: the Google Drive file id
  url        for link, instead of remote_id: the file's docs.google.com or drive.google.com URL
Every row is checked before anything is sent; all invalid rows are listed with their line
numbers (exit 2). Links are sent only when the file is not linked to the item yet.

Ctrl-C (or SIGTERM) stops starting rows and lets the calls in flight finish; a second
Ctrl-C abandons them. Either way the journal is complete: run the command again to go on.
A refusal of the account (401, 402, 403), a server error (5xx), a rate limit the client
gave up waiting for, or no connection stops the run the same way; the row it hit is
recorded not_sent, so the next run sends it. A refusal of the row itself (400, 404, ...)
fails that row for good (unless --retry-failed) and the run goes on.

Exit status: 0 every row done or already linked; 1 a row failed, or was not sent (rate
limit, no connection); 2 invalid input or flags, nothing sent; 3 a row's outcome is still
unknown (run again to find out); 130 interrupted.

Flags:
`

// bulkFlags are bulk's flags.
type bulkFlags struct {
	common
	workers     int
	journal     string
	report      string
	dryRun      bool
	retryFailed bool
}

// register defines bulk's flags on fs.
func (f *bulkFlags) register(fs *flag.FlagSet) {
	f.common.register(fs)
	fs.Lookup("json").Usage = "print the summary as JSON"
	fs.IntVar(&f.workers, "workers", 4, fmt.Sprintf("calls in flight at once, 1 to %d; they share one client, which keeps them inside the rate limit", maxWorkers))
	fs.StringVar(&f.journal, "journal", "", "the journal file (default FILE.journal; required when FILE is -)")
	fs.StringVar(&f.report, "report", "", "write a CSV of every input row with its outcome and file id to this file")
	fs.BoolVar(&f.dryRun, "dry-run", false, "check the input and print what would be done; send nothing")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "send again the rows that failed in an earlier run")
}

// runBulk is the bulk command; stdin is read when FILE is "-". clock is the client's
// (extra holds pipedrive.WithClock(clock)): the journal's times and the settle wait use it.
func runBulk(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer, clock pipedrive.Clock, extra []pipedrive.Option) int {
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	var f bulkFlags
	f.register(fs)
	// The FILE argument may come before the flags, as in "bulk rows.csv --workers 8".
	file, rest := splitFileArg(fs, args)
	_, done, err := parse(fs, rest, bulkHelp, stdout)
	if done || err != nil {
		return report(stderr, "bulk", err)
	}
	if err := f.check(file); err != nil {
		return report(stderr, "bulk", err)
	}
	path, cleanup, err := inputPath(file, stdin)
	if err != nil {
		return report(stderr, "bulk", err)
	}
	defer cleanup()
	b := &bulkRun{flags: f, file: file, path: path, stdout: stdout, stderr: stderr, clock: clock}
	return b.run(ctx, env, extra)
}

// splitFileArg takes the one argument that is not a flag out of args: the first that
// does not start with "-" (other than "-" itself) and is not the value of a flag of fs.
func splitFileArg(fs *flag.FlagSet, args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1], append(append([]string{}, args[:i]...), args[i+2:]...)
			}
			return "", args
		case a == "-" || !strings.HasPrefix(a, "-"):
			return a, append(append([]string{}, args[:i]...), args[i+1:]...)
		case !strings.Contains(a, "=") && takesValue(fs, strings.TrimLeft(a, "-")):
			i++ // skip the flag's value
		}
	}
	return "", args
}

// takesValue reports whether the flag of fs named name takes its value from the next
// argument: any flag but a boolean one.
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// check validates the flags together.
func (f *bulkFlags) check(file string) error {
	switch {
	case file == "":
		return usagef("FILE is required: the CSV file to read, or - for standard input")
	case f.workers < 1 || f.workers > maxWorkers:
		return usagef("--workers: must be 1 to %d, got %d", maxWorkers, f.workers)
	case file == "-" && f.journal == "":
		return usagef("--journal is required when reading standard input (-): the journal is what makes a rerun safe")
	case f.dryRun && f.report != "":
		return usagef("--report cannot be combined with --dry-run, which sends nothing")
	}
	return nil
}

// inputPath is a file the input can be read from more than once: FILE itself, or for
// "-" a temporary copy of stdin, which cleanup removes.
func inputPath(file string, stdin io.Reader) (string, func(), error) {
	if file != "-" {
		return file, func() {}, nil
	}
	tmp, err := os.CreateTemp("", "pipedrive-files-bulk-*.csv")
	if err != nil {
		return "", nil, fmt.Errorf("keeping standard input: %w", err)
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	_, err = io.Copy(tmp, stdin)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("keeping standard input: %w", err)
	}
	return tmp.Name(), cleanup, nil
}

// bulkRun is one run of the bulk command.
type bulkRun struct {
	flags          bulkFlags
	file, path     string // as given, and where to read it
	stdout, stderr io.Writer
	clock          pipedrive.Clock // the client's
	report         *reportWriter   // the --report file, created before anything is sent; nil without
}

// open reads the input from its start.
func (b *bulkRun) open() (*rowReader, func(), error) {
	f, err := os.Open(b.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", b.file, err)
	}
	rr, err := newRowReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", b.file, err)
	}
	return rr, func() { f.Close() }, nil
}

// eachRow calls fn for every row of the (already checked) input.
func (b *bulkRun) eachRow(fn func(bulkRow, rowID)) error {
	return readRows(b.open, func(row bulkRow, id rowID) bool {
		fn(row, id)
		return true
	})
}

// journalPath is --journal, or FILE.journal beside the input.
func (b *bulkRun) journalPath() string {
	if b.flags.journal != "" {
		return b.flags.journal
	}
	return b.file + ".journal"
}

// run checks the input, then (unless --dry-run) creates the report, connects, opens the
// journal and sends; it returns the exit code.
func (b *bulkRun) run(ctx context.Context, env func(string) string, extra []pipedrive.Option) int {
	in, err := os.Open(b.path)
	if err != nil {
		return report(b.stderr, "bulk", usagef("%v", err))
	}
	plan, bad, err := checkInput(in)
	in.Close()
	switch {
	case err != nil:
		return report(b.stderr, "bulk", fmt.Errorf("reading %s: %w", b.file, err))
	case len(bad) > 0:
		fmt.Fprintf(b.stderr, "pipedrive-files bulk: %s: %s; nothing was sent:\n  %s\n", b.file, count(len(bad), "invalid row"), strings.Join(bad, "\n  "))
		return exitUsage
	}
	input, err := journalInput(b.file, plan.columns)
	if err != nil {
		return report(b.stderr, "bulk", err)
	}
	if b.flags.dryRun {
		return b.dryRun(plan, input)
	}
	if b.flags.report != "" {
		// Created now, so that a path that cannot be written is found before anything is
		// sent, not after the whole run.
		if b.report, err = newReport(b.flags.report); err != nil {
			return report(b.stderr, "bulk", usagef("%v", err))
		}
		defer b.report.close() // a no-op once finish has closed it
	}
	counter := &requestCounter{}
	client, release, err := connect(b.flags.common, env, b.stderr, append(extra, pipedrive.WithAttemptHook(counter.observe)))
	if err != nil {
		return report(b.stderr, "bulk", err)
	}
	defer release()
	j, states, err := openJournal(b.journalPath(), input, b.clock.Now)
	if err != nil {
		return report(b.stderr, "bulk", journalUsage(err))
	}
	defer j.Close()
	return b.send(ctx, client, j, states, counter)
}

// journalUsage makes a journal that cannot be used a usage error (exit 2).
func journalUsage(err error) error {
	var je *journalError
	if errors.As(err, &je) {
		return usagef("%v", err)
	}
	return err
}

// send runs the engine and prints the summary.
func (b *bulkRun) send(ctx context.Context, client *pipedrive.Client, j *journal, states map[rowID]rowState, counter *requestCounter) int {
	start := time.Now()
	todo, earlier := 0, 0
	if err := b.eachRow(func(_ bulkRow, id rowID) {
		switch st := states[id]; {
		case st.state == stateDone, st.state == stateFailed && !b.flags.retryFailed:
			earlier++
		default:
			todo++
		}
	}); err != nil {
		return report(b.stderr, "bulk", err)
	}
	prog := newProgress(todo, earlier, func() string { return rateLimitNote(client.RateLimit()) })
	e := newEngine(client.Files, j, states, b.clock, b.flags.workers, b.flags.retryFailed)
	e.onFinish = prog.rowFinished
	e.onSettle = func(d time.Duration) {
		fmt.Fprintf(b.stderr, "pipedrive-files bulk: the last run stopped %s ago with calls in flight: waiting %s for them to settle before looking for their files\n",
			(pipedrive.SettleTime - d).Round(time.Millisecond), d.Round(time.Millisecond))
	}
	prog.show(b.stderr)
	prog.sayWhenDone(ctx, b.stderr, "pipedrive-files bulk: interrupted: finishing the calls in flight (press Ctrl-C again to abandon them)")
	runErr := e.run(ctx, abandonContext(ctx), b.open)
	prog.stop()

	s := summary{Input: b.file, Journal: b.journalPath(), Interrupted: ctx.Err() != nil, Stopped: e.stopReason()}
	reportErr, err := b.finish(&s, e.states)
	if err != nil {
		return report(b.stderr, "bulk", err)
	}
	if reportErr != nil {
		// The run is over and its journal complete: the summary and exit code still tell
		// what it did.
		fmt.Fprintf(b.stderr, "pipedrive-files bulk: %v\n", reportErr)
	}
	s.ElapsedSeconds = time.Since(start).Seconds()
	s.Requests, s.RateLimited = counter.requests.Load(), counter.limited.Load()
	s.ExitCode = s.exitCode()
	if runErr != nil {
		fmt.Fprintf(b.stderr, "pipedrive-files bulk: %v\n", runErr)
		s.ExitCode = max(s.ExitCode, exitAPI)
	}
	if err := s.print(b.stdout, b.flags.json); err != nil {
		fmt.Fprintf(b.stderr, "pipedrive-files bulk: writing the summary: %v\n", err)
	}
	return s.ExitCode
}

// finish counts every row's final state into s and writes the --report file. err is
// reading the input; reportErr writing the report.
func (b *bulkRun) finish(s *summary, states map[rowID]rowState) (reportErr, err error) {
	err = b.eachRow(func(row bulkRow, id rowID) {
		st := states[id]
		s.count(st)
		if b.report != nil {
			b.report.row(row, st)
		}
	})
	if b.report != nil {
		reportErr = b.report.close()
	}
	return reportErr, err
}

// rateLimitNote describes the wait for the rate limit the last response announced.
func rateLimitNote(rl pipedrive.RateLimit) string {
	if rl.Remaining == 0 && rl.Reset > 0 {
		return "rate limit reached, window resets in " + rl.Reset.Round(time.Second).String()
	}
	return ""
}

// dryRun prints what a run would do.
func (b *bulkRun) dryRun(plan inputPlan, input inputID) int {
	states, err := readJournal(b.journalPath(), input)
	if err != nil {
		return report(b.stderr, "bulk", journalUsage(err))
	}
	var s summary
	if err := b.eachRow(func(_ bulkRow, id rowID) { s.count(states[id]) }); err != nil {
		return report(b.stderr, "bulk", err)
	}
	if b.flags.json {
		return printDryRunJSON(b.stdout, b.stderr, b.file, plan, s)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%s: %s, all valid. Nothing was sent (--dry-run).\n", b.file, count(plan.rows, "row"))
	for _, action := range []string{actionCreate, actionLink} {
		fmt.Fprintf(&out, "  %-6s %d%s\n", action, sum(plan.counts[action]), perType(plan.counts[action]))
	}
	if earlier := s.Skipped + s.Failed + s.Unknown + s.NotSent; earlier > 0 {
		fmt.Fprintf(&out, "The journal %s records earlier runs: %d done (skipped), %d failed (skipped unless --retry-failed), %d to look for on their item first, %d not sent.\n",
			b.journalPath(), s.Skipped, s.Failed, s.Unknown, s.NotSent)
	}
	if _, err := io.WriteString(b.stdout, out.String()); err != nil {
		return report(b.stderr, "bulk", err)
	}
	return exitOK
}

// dryRunJSON is what --dry-run --json prints.
type dryRunJSON struct {
	Input   string                     `json:"input"`
	DryRun  bool                       `json:"dry_run"`
	Rows    int                        `json:"rows"`
	Create  map[pipedrive.ItemType]int `json:"create"`
	Link    map[pipedrive.ItemType]int `json:"link"`
	Journal struct {
		Done    int `json:"done"`
		Failed  int `json:"failed"`
		Unknown int `json:"unknown"`
		NotSent int `json:"not_sent"`
	} `json:"journal"`
}

// printDryRunJSON prints the --dry-run --json output: the plan and what the journal
// records; it returns the exit code.
func printDryRunJSON(stdout, stderr io.Writer, file string, plan inputPlan, s summary) int {
	out := dryRunJSON{Input: file, DryRun: true, Rows: plan.rows, Create: plan.counts[actionCreate], Link: plan.counts[actionLink]}
	out.Journal.Done, out.Journal.Failed, out.Journal.Unknown, out.Journal.NotSent = s.Skipped, s.Failed, s.Unknown, s.NotSent
	if err := writeJSON(stdout, out); err != nil {
		return report(stderr, "bulk", err)
	}
	return exitOK
}

// sum adds up the counts in m.
func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// count is "1 row", "2 rows": n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// perType is " (deal 3, person 1)", in a stable order, or "".
func perType(m map[pipedrive.ItemType]int) string {
	var parts []string
	for t, n := range m {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}
