package pipedrivetest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// BenchmarkMillionFiles stores 1,000,000 created files across 100 deals, the size of a
// real bulk plan, then lists ten pages of one deal's 10,000 files; then it deletes every
// 100th file and lists ten pages of the company's files (GET /files) from the middle, by
// id and by id descending, which must skip the deleted files without reading the others.
// It reports the time per create (the server's storing, without HTTP and validation), the
// heap each file keeps, the time per page of 100 of a deal, and per page of GET /files.
// One iteration takes seconds, so run it alone:
//
//	go test -run '^$' -bench MillionFiles -benchtime 1x ./pipedrive/pipedrivetest/
func BenchmarkMillionFiles(b *testing.B) {
	const files, deals = 1_000_000, 100
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for b.Loop() {
		var f Fixtures
		for d := range deals {
			f.Deals = append(f.Deals, int64(d+1))
		}
		srv := NewServer(WithFixtures(f))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		var body []byte
		for i := range files {
			body = fmt.Appendf(body[:0], "file_type=gdoc&item_id=%d&item_type=deal&remote_location=googledrive&title=File+%d", i%deals+1, i+1)
			if rep := srv.store("/files/remote", body, now.Add(time.Duration(i)*time.Millisecond)); rep.status != 200 {
				b.Fatalf("create %d: %d %s", i, rep.status, rep.body)
			}
		}
		perCreate := time.Since(start) / files
		runtime.GC()
		runtime.ReadMemStats(&after)
		start = time.Now()
		const pages = 10
		for p := range pages {
			r := httptest.NewRequest("GET", fmt.Sprintf("%s/deals/7/files?start=%d&limit=100", BasePath, 9000+p*100), nil)
			if rep := srv.list(r); rep.status != 200 || len(rep.body) < 1000 {
				b.Fatalf("list: %d %s", rep.status, rep.body)
			}
		}
		perPage := time.Since(start) / pages
		for id := int64(100); id <= files; id += 100 {
			srv.DeleteFile(id)
		}
		start = time.Now()
		for p := range pages {
			for _, sort := range []string{"id", "id%20DESC"} {
				r := httptest.NewRequest("GET", fmt.Sprintf("%s/files?start=%d&limit=100&sort=%s", BasePath, 500000+p*100, sort), nil)
				if rep := srv.listAll(r); rep.status != 200 || len(rep.body) < 1000 {
					b.Fatalf("list all: %d %s", rep.status, rep.body)
				}
			}
		}
		b.ReportMetric(float64(perCreate.Nanoseconds()), "ns/create")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/files, "B/file")
		b.ReportMetric(float64(perPage.Nanoseconds()), "ns/page")
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/(2*pages), "ns/allpage")
		srv.Close()
	}
}

// BenchmarkCreateOverHTTP is one create through the whole server, HTTP and validation
// against the spec included, as serve-fake answers bulk: files go to 100 deals in turn.
// Multiply by 1,000,000 for a real-sized plan:
//
//	go test -run '^$' -bench CreateOverHTTP -benchtime 100000x ./pipedrive/pipedrivetest/
func BenchmarkCreateOverHTTP(b *testing.B) {
	const deals = 100
	var f Fixtures
	for d := range deals {
		f.Deals = append(f.Deals, int64(d+1))
	}
	srv := NewServer(WithFixtures(f), WithRequestHistory(0), WithRateLimit(1<<40, BurstWindow), WithDailyBudget(1<<40))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "File", Item: pipedrive.Deal(int64(i%deals + 1))}); err != nil {
			b.Fatal(err)
		}
	}
}
