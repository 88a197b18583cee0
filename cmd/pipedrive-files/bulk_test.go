package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// writeInput writes a bulk input file in a new directory and returns its path.
func writeInput(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// An input with bad rows lists every one with its line, sends nothing and writes no
// journal.
func TestBulkInvalidRowsAreAllReportedAndNothingIsSent(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	path := writeInput(t, "action,item_type,item_id,file_type,title,url\n"+
		"create,deal,12,gdoc,Fine,\n"+
		"create,deal,12,gdoc,,\n"+
		"link,deal,12,,,https://docs.google.com/document/d/abc/edit\n"+
		"link,person,five,,,https://docs.google.com/document/d/abc/edit\n"+
		"create,deal,13,gdoc,Fine too,\n"+
		"create,organization,1,pdf,Report,\n")
	r := runWith(t, envFor(srv), "bulk", path)
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pipedrive-files bulk: "+path+": 3 invalid rows; nothing was sent:\n"+
		"  line 3: title: required for create rows\n"+
		"  line 5: item_id: must be a positive whole number, got \"five\"\n"+
		"  line 7: file_type: must be one of \"gdoc\", \"gslides\", \"gsheet\", \"gform\", \"gdraw\", got \"pdf\"\n", r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, r.dialed)
	assert.Empty(t, srv.Requests())
	assert.NoFileExists(t, path+".journal")

	path = writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,\n")
	r = runWith(t, envFor(srv), "bulk", path)
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pipedrive-files bulk: "+path+": 1 invalid row; nothing was sent:\n  line 2: title: required for create rows\n", r.stderr)
}

func TestBulkDryRun(t *testing.T) {
	t.Parallel()
	path := writeInput(t, "action,item_type,item_id,file_type,title,remote_id\n"+
		"create,deal,12,gdoc,A,\ncreate,deal,13,gsheet,B,\ncreate,person,5,gdoc,C,\nlink,organization,1,,,abc\n")
	r := runWith(t, nil, "bulk", "--dry-run", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, path+": 4 rows, all valid. Nothing was sent (--dry-run).\n"+
		"  create 3 (deal 2, person 1)\n"+
		"  link   1 (organization 1)\n", r.stdout)
	assert.NoFileExists(t, path+".journal", "a dry run writes nothing")

	r = runWith(t, nil, "bulk", path, "--dry-run", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, map[string]any{
		"input": path, "dry_run": true, "rows": 4.0,
		"create":  map[string]any{"deal": 2.0, "person": 1.0},
		"link":    map[string]any{"organization": 1.0},
		"journal": map[string]any{"done": 0.0, "failed": 0.0, "unknown": 0.0, "not_sent": 0.0},
	}, got)
}

// A journal written for another input is refused before anything is sent.
// A journal belongs to its input file (absolute path), or to a file of the same name and
// columns (the directory moved with its journal); another input is refused, before
// anything is sent, even when its name is the same.
func TestBulkRefusesAJournalOfAnotherInput(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	srv.AddDeal(pipedrivetest.Deal{ID: 12})
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "shared.journal")
	path := writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,A\n")
	cols := []string{"action", "item_type", "item_id", "file_type", "title"}
	header := func(input string, columns []string) {
		h, err := json.Marshal(map[string]any{"journal": "pipedrive-files bulk", "version": 1, "input": input, "columns": columns, "created": "2026-11-29T22:00:00Z"})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(journalPath, append(h, '\n'), 0o644))
	}
	for _, tc := range []struct {
		input   string
		columns []string
		ok      bool
	}{
		{"/elsewhere/deals.csv", cols, false},
		{"/elsewhere/rows.csv", []string{"action", "item_type", "item_id", "url"}, false}, // same name, another file
		{"-", cols, false},
		{"/elsewhere/rows.csv", []string{"title", "action", "item_type", "item_id", "file_type"}, true}, // moved with its journal
		{path, []string{"action", "item_type", "item_id", "url"}, true},                                 // the same file, edited
	} {
		for _, extra := range [][]string{{"--dry-run"}, nil} {
			header(tc.input, tc.columns)
			r := runWith(t, envFor(srv), append([]string{"bulk", "--journal", journalPath, path}, extra...)...)
			if tc.ok {
				assert.Equal(t, exitOK, r.code, r.stderr)
				continue
			}
			assert.Equal(t, exitUsage, r.code, tc.input, extra)
			assert.Equal(t, "pipedrive-files bulk: the journal belongs to another plan: "+journalPath+" was written for "+tc.input+" (columns "+strings.Join(tc.columns, ",")+"), not "+path+
				" (columns action,item_type,item_id,file_type,title): give this plan's own journal, or delete that one to start over (a journal follows its input when the file is edited, or moved keeping its name and columns)"+
				"\nRun 'pipedrive-files bulk -h' for usage.\n", r.stderr)
		}
	}
	assert.Len(t, srv.Files(), 2, "only the runs whose journal was accepted sent anything")
}

func TestBulkUsageErrors(t *testing.T) {
	t.Parallel()
	path := writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,A\n")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bulk"}, "FILE is required: the CSV file to read, or - for standard input"},
		{[]string{"bulk", "--workers", "0", path}, "--workers: must be 1 to 64, got 0"},
		{[]string{"bulk", path, "--workers", "65"}, "--workers: must be 1 to 64, got 65"},
		{[]string{"bulk", "-"}, "--journal is required when reading standard input (-): the journal is what makes a rerun safe"},
		{[]string{"bulk", "--dry-run", "--report", "r.csv", path}, "--report cannot be combined with --dry-run, which sends nothing"},
		{[]string{"bulk", path, "other.csv"}, `unexpected argument "other.csv" (quote values that contain spaces)`},
		{[]string{"bulk", filepath.Join(t.TempDir(), "missing.csv")}, "no such file or directory"},
		{[]string{"bulk", path}, "PIPEDRIVE_API_TOKEN is not set"},
	} {
		r := runWith(t, nil, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Contains(t, r.stderr, "pipedrive-files bulk: ", tc.args)
		assert.Contains(t, r.stderr, tc.msg, tc.args)
	}
	assert.NoFileExists(t, path+".journal", "no journal before the flags and environment are right")
}

func TestBulkAndServeFakeHelp(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "bulk", "-h")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: pipedrive-files bulk [flags] FILE")
	assert.Contains(t, r.stdout, "130 interrupted")
	assert.Contains(t, r.stdout, "-retry-failed")
	assert.Contains(t, r.stdout, "A field may be at most 64 KiB")
	assert.Contains(t, r.stdout, "readable by\ntheir owner only")
	assert.Contains(t, r.stdout, "gets a leading ', as\nOWASP advises")
	r = runWith(t, nil, "help", "serve-fake")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "PIPEDRIVE_BASE_URL=http://127.0.0.1:PORT/api/v1")
	assert.Contains(t, r.stdout, "-rate-limit string")
	r = runWith(t, nil, "help")
	assert.Contains(t, r.stdout, "pipedrive-files bulk [flags] FILE")
	assert.Contains(t, r.stdout, "pipedrive-files serve-fake [flags]")
}

// Standard input is kept in a temporary file, so that it can be read more than once.
func TestBulkReadsStandardInput(t *testing.T) {
	t.Parallel()
	journalPath := filepath.Join(t.TempDir(), "stdin.journal")
	var stdout, stderr bytes.Buffer
	in := strings.NewReader("action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,A\ncreate,deal,12,gdoc,B\n")
	code := runBulk(t.Context(), &env{Getenv: func(string) string { return "" }, Stdin: in, Stdout: &stdout, Stderr: &stderr, Clock: pipedrive.WallClock()}, []string{"--dry-run", "--journal", journalPath, "-"})
	require.Equal(t, exitOK, code, stderr.String())
	assert.Equal(t, "-: 2 rows, all valid. Nothing was sent (--dry-run).\n  create 2 (deal 2)\n  link   0\n", stdout.String())
}

func TestSplitFileArg(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		file string
		rest []string
	}{
		{[]string{"rows.csv"}, "rows.csv", []string{}},
		{[]string{"--workers", "8", "rows.csv", "--json"}, "rows.csv", []string{"--workers", "8", "--json"}},
		{[]string{"--workers=8", "-", "--dry-run"}, "-", []string{"--workers=8", "--dry-run"}},
		{[]string{"--journal", "j", "--", "-odd.csv"}, "-odd.csv", []string{"--journal", "j"}},
		{[]string{"--json"}, "", []string{"--json"}},
		{[]string{"--fake", "rows.csv", "--base-url", "http://x"}, "rows.csv", []string{"--fake", "--base-url", "http://x"}},
	} {
		fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
		new(bulkFlags).register(fs)
		file, rest := splitFileArg(fs, tc.args)
		assert.Equal(t, tc.file, file, tc.args)
		assert.Equal(t, tc.rest, rest, tc.args)
	}
}

// A --report path that cannot be written is found before anything is sent (exit 2,
// naming the flag); a report that fails only when written leaves the summary and the
// run's exit code as they were.
func TestBulkReportPath(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	srv.AddDeal(pipedrivetest.Deal{ID: 12})
	path := writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,A\n")
	r := runWith(t, envFor(srv), "bulk", path, "--report", filepath.Join(t.TempDir(), "no such dir", "report.csv"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "pipedrive-files bulk: --report: open ")
	assert.Empty(t, srv.Requests(), "nothing sent")

	if _, err := os.Stat("/dev/full"); err != nil {
		return // the write failure below needs Linux's /dev/full
	}
	r = runWith(t, envFor(srv), "bulk", path, "--report", "/dev/full")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "pipedrive-files bulk: --report: write /dev/full: no space left on device\n")
	assert.Contains(t, r.stdout, "1 row: done 1,")
	assert.Len(t, srv.Files(), 1)
}

// The report is created readable by its owner only, like the journal: its titles and
// error texts may be private.
func TestBulkReportIsReadableByItsOwnerOnly(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes")
	}
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	path := writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,A\n")
	reportPath := filepath.Join(t.TempDir(), "report.csv")
	r := runWith(t, envFor(srv), "bulk", path, "--report", reportPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, p := range []string{reportPath, path + ".journal"} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), p)
	}
}

// Report cells a spreadsheet would run as formulas get a leading quote (OWASP, "CSV
// Injection"); the titles sent to Pipedrive are the input's.
func TestBulkReportNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	titles := []string{`=HYPERLINK("https://evil.example","x")`, "+1+1", "-2+3", "@SUM(A1:A2)", "Plain = fine"}
	in := "action,item_type,item_id,file_type,title\n"
	for _, title := range titles {
		in += `create,deal,12,gdoc,"` + strings.ReplaceAll(title, `"`, `""`) + "\"\n"
	}
	path := writeInput(t, in)
	reportPath := filepath.Join(t.TempDir(), "report.csv")
	r := runWith(t, envFor(srv), "bulk", path, "--report", reportPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	var sent []string
	for _, f := range srv.Files() {
		sent = append(sent, f.Name)
	}
	assert.ElementsMatch(t, titles, sent, "the titles are sent as written")
	rows := readReport(t, reportPath)
	require.Len(t, rows, 1+len(titles))
	var reported []string
	for _, row := range rows[1:] {
		reported = append(reported, row[5])
	}
	assert.Equal(t, []string{`'=HYPERLINK("https://evil.example","x")`, "'+1+1", "'-2+3", "'@SUM(A1:A2)", "Plain = fine"}, reported)
}

func TestNeutralize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "x=1": "x=1", " =1": " =1", "'=1": "'=1", "1drive-id": "1drive-id",
	} {
		assert.Equal(t, want, neutralize(in), "%q", in)
	}
}

func TestSummarySaysOneRequest(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	s := summary{Input: "rows.csv", Journal: "rows.csv.journal", Rows: 1, Done: 1, ElapsedSeconds: 0.25, Requests: 1}
	require.NoError(t, s.print(&out, false))
	assert.Equal(t, "rows.csv: 1 row: done 1, already linked 0, skipped (done earlier) 0, failed 0, unknown 0.\n"+
		"250ms, 1 request, 0 answered 429. Journal: rows.csv.journal\n", out.String())
	out.Reset()
	s.Requests, s.RateLimited = 3, 1
	require.NoError(t, s.print(&out, false))
	assert.Contains(t, out.String(), "250ms, 3 requests, 1 answered 429.")
}

// An input with no header says it is empty (exit 2), not that a row is invalid; one with
// a header and no rows has nothing to do (exit 0). Neither sends anything or makes a
// journal.
func TestBulkEmptyAndHeaderOnlyInput(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	for _, in := range []string{"", "\xEF\xBB\xBF", "\n\r\n\n"} {
		path := writeInput(t, in)
		for _, extra := range [][]string{nil, {"--json"}, {"--dry-run"}} {
			r := runWith(t, envFor(srv), append([]string{"bulk", path}, extra...)...)
			assert.Equal(t, exitUsage, r.code, "%q %v", in, extra)
			assert.Equal(t, "pipedrive-files bulk: "+path+": the input is empty: want a header row naming the columns (action, item_type, item_id, file_type, title, remote_id, url)\n"+
				"Run 'pipedrive-files bulk -h' for usage.\n", r.stderr, "%q %v", in, extra)
			assert.Empty(t, r.stdout)
			assert.NoFileExists(t, path+".journal")
		}
	}

	path := writeInput(t, "action,item_type,item_id,file_type,title\r\n\r\n")
	r := runWith(t, envFor(srv), "bulk", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, path+": 0 rows: nothing to do.\n", r.stdout)
	assert.Empty(t, r.stderr)
	r = runWith(t, envFor(srv), "bulk", path, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	assert.Equal(t, summary{Input: path, Journal: path + ".journal"}, s)
	assert.NoFileExists(t, path+".journal")
	assert.Empty(t, srv.Requests())
}

// A field longer than 64 KiB is an invalid row naming its line and column: nothing is
// sent, by a run or a dry run.
func TestBulkRefusesAFieldOverTheLimit(t *testing.T) {
	t.Parallel()
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	path := writeInput(t, "action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,fine\n"+
		"create,deal,12,gdoc,"+strings.Repeat("x", 100<<10)+"\n")
	for _, extra := range [][]string{nil, {"--dry-run"}} {
		r := runWith(t, envFor(srv), append([]string{"bulk", path}, extra...)...)
		assert.Equal(t, exitUsage, r.code, extra)
		assert.Equal(t, "pipedrive-files bulk: "+path+": 1 invalid row; nothing was sent:\n"+
			"  line 3: title: longer than 65536 bytes (64 KiB), the limit for a field\n", r.stderr, extra)
	}
	assert.Empty(t, srv.Requests())
	assert.NoFileExists(t, path+".journal")
}
