package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
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
UTF-8 with or without a byte order mark, CRLF or LF. A field may be at most 64 KiB
(65536 bytes) long. Every row is checked before anything is sent; all invalid rows are
listed with their line numbers (exit 2); an input without a header row is empty (exit 2),
one with a header and no rows has nothing to do. Links are sent only when the file is not
linked to the item yet.

The journal (FILE.journal, or --journal) and the --report file are created readable by
their owner only. A second run of the same FILE while one is going is refused (exit 2),
whatever its --journal; so is a --report or --journal that is FILE, or a --report that
is the journal, however the path is spelt, and a journal that is damaged or a file that
is not a journal, which is left as it is. In the report, a cell that a spreadsheet
would run as a formula (starting with =, +, -, @, a tab or a CR) gets a leading ', as
OWASP advises; the titles sent to Pipedrive are as written.

Ctrl-C (or SIGTERM) stops starting rows and lets the calls in flight finish; a second
Ctrl-C abandons them. Either way the journal is complete: run the command again to go on.
A refusal of the account (401, 402, 403), a server error (5xx), a rate limit the client
gave up waiting for, no connection, or the loss of the Redis of --redis-url stops the run
the same way; the row it hit is recorded not_sent, so the next run sends it. A refusal of
the row itself (400, 404, ...) fails that row for good (unless --retry-failed) and the run
goes on.

Several bulk processes on one token keep within its rate limit together with --redis-url
(or PIPEDRIVE_REDIS_URL) and --rate-limit N/WINDOW, the share of the token's limit they
may use between them.

--undo deletes, through DELETE /files/{id}, every file that FILE's journal records this
plan created or linked, and nothing else: a file that was already on the item before the
plan ran (already_linked) is never deleted. The undo has a journal of its own (the
journal's path with .undo added), so it is resumable and interruptible like a run, each
file is deleted once, a file already gone counts as undone, and a second undo sends
nothing. Pipedrive keeps a deleted file for 30 days before it is gone for good.

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
	undo        bool
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
	fs.BoolVar(&f.undo, "undo", false, "delete the files the journal records this plan created or linked (never those linked before it ran)")
}

// runBulk is the bulk command; e.Stdin is read when FILE is "-". The journal's times
// and the settle wait use e.Clock, the client's.
func runBulk(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	var f bulkFlags
	f.register(fs)
	// The FILE argument may come before the flags, as in "bulk rows.csv --workers 8".
	file, rest := splitFileArg(fs, args)
	_, done, err := parse(fs, rest, bulkHelp, e.Stdout)
	if done || err != nil {
		return report(e.Stderr, "bulk", err)
	}
	if err := f.check(file); err != nil {
		return report(e.Stderr, "bulk", err)
	}
	b := &bulkRun{flags: f, file: file, env: e}
	if err := b.checkPaths(); err != nil {
		return report(e.Stderr, "bulk", err)
	}
	path, cleanup, err := inputPath(file, e.Stdin)
	if err != nil {
		return report(e.Stderr, "bulk", err)
	}
	defer cleanup()
	b.path = path
	return b.run(ctx)
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
	case f.undo && (f.dryRun || f.retryFailed):
		return usagef("--undo cannot be combined with --dry-run or --retry-failed")
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
	flags      bulkFlags
	file, path string // as given, and where to read it
	env        *env
	report     *reportWriter // the --report file, created before anything is sent; nil without
}

// source is the input's rows, for package bulk.
func (b *bulkRun) source() bulk.Source { return inputSource(b.path, b.file) }

// journalPath is --journal, or FILE.journal beside the input.
func (b *bulkRun) journalPath() string {
	if b.flags.journal != "" {
		return b.flags.journal
	}
	return b.file + ".journal"
}

// checkPaths refuses a --report or --journal that is the input, and a --report that is
// the journal, however the path is spelt (a symlink, another relative path): writing
// the report there would destroy what makes a rerun safe, or the plan itself.
func (b *bulkRun) checkPaths() error {
	journal := b.journalPath()
	if b.file != "-" && samePath(journal, b.file) {
		return usagef("--journal %s is the input file: give the journal its own file (default %s.journal)", journal, b.file)
	}
	if b.flags.report == "" {
		return nil
	}
	switch {
	case samePath(b.flags.report, journal), b.flags.undo && samePath(b.flags.report, undoJournalPath(journal)):
		return usagef("--report %s is the journal: the report would overwrite the record of what was sent; give the report its own file", b.flags.report)
	case b.file != "-" && samePath(b.flags.report, b.file):
		return usagef("--report %s is the input file: give the report its own file", b.flags.report)
	}
	return nil
}

// samePath reports whether a and b name one file: the same file on disk when both exist
// (through symlinks, hard links or another spelling), else the same absolute path once
// the directories' symlinks are resolved.
func samePath(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	return resolved(a) == resolved(b)
}

// resolved is path made absolute, with the symlinks of its directory resolved.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// run checks the input, then (unless --dry-run) creates the report, connects, locks
// the input, opens the journal and sends; it returns the exit code.
func (b *bulkRun) run(ctx context.Context) int {
	stderr := b.env.Stderr
	in, err := os.Open(b.path)
	if err != nil {
		return report(stderr, "bulk", usagef("%v", err))
	}
	plan, bad, err := checkInput(in)
	in.Close()
	switch {
	case errors.Is(err, errEmptyInput):
		return report(stderr, "bulk", usagef("%s: %v", b.file, err))
	case err != nil:
		return report(stderr, "bulk", fmt.Errorf("reading %s: %w", b.file, err))
	case len(bad) > 0:
		fmt.Fprintf(stderr, "pipedrive-files bulk: %s: %s; nothing was sent:\n  %s\n", b.file, count(len(bad), "invalid row"), strings.Join(bad, "\n  "))
		return exitUsage
	}
	header, err := journalHeader(b.file, plan.columns)
	if err != nil {
		return report(stderr, "bulk", err)
	}
	if b.flags.dryRun {
		return b.dryRun(plan, header)
	}
	if plan.rows == 0 {
		return b.nothingToDo()
	}
	if b.file != "-" {
		unlock, err := bulk.LockInput(b.path)
		if err != nil {
			return report(stderr, "bulk", journalUsage(err))
		}
		defer unlock()
	}
	if b.flags.report != "" {
		// Created now, so that a path that cannot be written is found before anything is
		// sent, not after the whole run.
		if b.report, err = newReport(b.flags.report); err != nil {
			return report(stderr, "bulk", usagef("%v", err))
		}
		defer b.report.close() // a no-op once finish has closed it
	}
	counter := &requestCounter{}
	client, release, err := connect(b.flags.common, b.env, pipedrive.WithAttemptHook(counter.observe))
	if err != nil {
		return report(stderr, "bulk", err)
	}
	defer release()
	if b.flags.undo {
		return b.undo(ctx, client, header, counter)
	}
	j, err := bulk.OpenJournal(b.journalPath(), header)
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	defer j.Close()
	return b.send(ctx, client, j, b.source(), b.journalPath(), counter)
}

// undoJournalPath is the journal of the undo of the plan whose journal is at journal.
func undoJournalPath(journal string) string { return journal + ".undo" }

// undo deletes what the plan's journal records it created or linked, through an undo
// plan with a journal of its own.
func (b *bulkRun) undo(ctx context.Context, client *pipedrive.Client, header bulk.Header, counter *requestCounter) int {
	stderr := b.env.Stderr
	if _, err := os.Stat(b.journalPath()); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(b.env.Stdout, "%s: no journal at %s: the plan has not run, so there is nothing to undo.\n", b.file, b.journalPath())
		return exitOK
	}
	planJournal, err := bulk.ReadJournal(b.journalPath(), header)
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	defer planJournal.Close()
	done, err := bulk.New(nil, planJournal, b.source(), bulk.Options{Clock: b.env.Clock})
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	path := undoJournalPath(b.journalPath())
	j, err := bulk.OpenJournal(path, bulk.Header{Input: header.Input + " (undo)", Columns: header.Columns})
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	defer j.Close()
	return b.send(ctx, client, j, bulk.Undo(done), path, counter)
}

// journalHeader names the plan in its journal: the input file's absolute path ("-" for
// standard input) and the columns of its header row.
func journalHeader(file string, columns []string) (bulk.Header, error) {
	if file == "-" {
		return bulk.Header{Input: "-", Columns: columns}, nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return bulk.Header{}, fmt.Errorf("finding the input's absolute path: %w", err)
	}
	return bulk.Header{Input: abs, Columns: columns}, nil
}

// nothingToDo reports an input with a header and no rows: nothing is sent and no journal
// is made.
func (b *bulkRun) nothingToDo() int {
	s := summary{Input: b.file, Journal: b.journalPath()}
	if b.flags.json {
		if err := writeJSON(b.env.Stdout, s); err != nil {
			return report(b.env.Stderr, "bulk", err)
		}
		return exitOK
	}
	if _, err := fmt.Fprintf(b.env.Stdout, "%s: 0 rows: nothing to do.\n", b.file); err != nil {
		return report(b.env.Stderr, "bulk", err)
	}
	return exitOK
}

// journalUsage makes a journal or input that cannot be used a usage error (exit 2):
// nothing was sent.
func journalUsage(err error) error {
	for _, target := range []error{bulk.ErrJournalInUse, bulk.ErrInputInUse, bulk.ErrNotJournal, bulk.ErrOtherPlan, bulk.ErrJournalDamaged} {
		if errors.Is(err, target) {
			return usagef("%s", strings.TrimPrefix(err.Error(), "bulk: "))
		}
	}
	return err
}

// send runs plan, recorded in the journal j at journalPath, and prints the summary.
func (b *bulkRun) send(ctx context.Context, client *pipedrive.Client, j *bulk.FileJournal, plan bulk.Source, journalPath string, counter *requestCounter) int {
	stderr := b.env.Stderr
	start := time.Now()
	var prog *progress // made once the rows to do are counted, before Run calls OnRow
	r, err := bulk.New(client.Files, j, plan, bulk.Options{
		Workers:     b.flags.workers,
		RetryFailed: b.flags.retryFailed,
		Clock:       b.env.Clock,
		OnRow:       func(res bulk.Result) { prog.rowFinished(res) },
		OnSettle: func(d time.Duration) {
			fmt.Fprintf(stderr, "pipedrive-files bulk: the last run stopped %s ago with calls in flight: waiting %s for them to settle before looking for their files\n",
				(pipedrive.SettleTime - d).Round(time.Millisecond), d.Round(time.Millisecond))
		},
	})
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	todo, total, err := r.Remaining()
	if err != nil {
		return report(stderr, "bulk", err)
	}
	earlier := total - todo
	prog = newProgress(todo, earlier, func() string { return rateLimitNote(client.RateLimit()) })
	prog.show(stderr)
	prog.sayWhenDone(ctx, stderr, "pipedrive-files bulk: interrupted: finishing the calls in flight (press Ctrl-C again to abandon them)")
	runErr := b.runUntilInterrupted(ctx, r)
	prog.stop()

	s := summary{Input: b.file, Journal: journalPath, Undo: b.flags.undo, Interrupted: ctx.Err() != nil}
	var stop *bulk.StopError
	if errors.As(runErr, &stop) {
		s.Stopped, runErr = stopAdvice(stop), nil
	}
	if errors.Is(runErr, bulk.ErrRunnerClosed) {
		runErr = nil // interrupted: the summary says so
	}
	reportErr, err := b.finish(&s, r)
	if err != nil {
		return report(stderr, "bulk", err)
	}
	if reportErr != nil {
		// The run is over and its journal complete: the summary and exit code still tell
		// what it did.
		fmt.Fprintf(stderr, "pipedrive-files bulk: %v\n", reportErr)
	}
	s.ElapsedSeconds = time.Since(start).Seconds()
	s.Requests, s.RateLimited = counter.requests.Load(), counter.limited.Load()
	s.ExitCode = s.exitCode()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(stderr, "pipedrive-files bulk: %v\n", runErr)
		s.ExitCode = max(s.ExitCode, exitAPI)
	}
	if err := s.print(b.env.Stdout, b.flags.json); err != nil {
		fmt.Fprintf(stderr, "pipedrive-files bulk: writing the summary: %v\n", err)
	}
	return s.ExitCode
}

// runUntilInterrupted runs r: the first interrupt (ctx) shuts it down gracefully, the
// second (abandonContext) abandons the calls in flight.
func (b *bulkRun) runUntilInterrupted(ctx context.Context, r *bulk.Runner) error {
	hard := abandonContext(ctx)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			_ = r.Shutdown(hard) // abandons the calls in flight once hard ends
		case <-finished:
		}
	}()
	return r.Run(hard)
}

// stopAdvice says why the run stopped and what to do about it.
func stopAdvice(stop *bulk.StopError) string {
	var rl *pipedrive.RateLimitError
	switch {
	case redisStopAdvice(stop) != "":
		return redisStopAdvice(stop)
	case errors.Is(stop, pipedrive.ErrUnauthorized):
		return fmt.Sprintf("Pipedrive refused the API token (401): check PIPEDRIVE_API_TOKEN (Settings > Personal preferences > API), then run the same command again: %v", stop.Err)
	case errors.As(stop, &rl) && rl.Daily:
		return fmt.Sprintf("the daily rate-limit budget is spent: run the same command again once it resets (in %s): %v", rl.RetryAfter.Round(time.Second), stop.Err)
	case errors.As(stop, &rl):
		return "rate limited beyond the client's patience: run the same command again to go on: " + stop.Err.Error()
	}
	var api *pipedrive.APIError
	if errors.As(stop, &api) {
		return fmt.Sprintf("Pipedrive answered %d, which further rows would meet too: run the same command again to go on: %v", api.StatusCode, stop.Err)
	}
	return stop.Err.Error()
}

// finish counts every row's final state into s and writes the --report file. err is
// reading the input; reportErr writing the report.
func (b *bulkRun) finish(s *summary, r *bulk.Runner) (reportErr, err error) {
	for res, rerr := range r.Results() {
		if rerr != nil {
			err = rerr
			break
		}
		s.count(res.State)
		if b.report != nil {
			b.report.row(res)
		}
	}
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
func (b *bulkRun) dryRun(plan inputPlan, header bulk.Header) int {
	stdout, stderr := b.env.Stdout, b.env.Stderr
	j, err := bulk.ReadJournal(b.journalPath(), header)
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	defer j.Close()
	r, err := bulk.New(nil, j, b.source(), bulk.Options{Clock: b.env.Clock})
	if err != nil {
		return report(stderr, "bulk", journalUsage(err))
	}
	var s summary
	for res, err := range r.Results() {
		if err != nil {
			return report(stderr, "bulk", err)
		}
		s.count(res.State)
	}
	if b.flags.json {
		return printDryRunJSON(stdout, stderr, b.file, plan, s)
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
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		return report(stderr, "bulk", err)
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
