package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// A plan of ten creates is stopped part way, then resumed: every file ends up on the
// deal exactly once.
func Example() {
	srv := pipedrivetest.NewServer() // a fake Pipedrive; give your own client instead
	defer srv.Close()
	client := srv.Client()
	dir, err := os.MkdirTemp("", "bulk-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	journal := filepath.Join(dir, "contracts.journal")

	var rows []bulk.Row
	for i := 1; i <= 10; i++ {
		rows = append(rows, bulk.CreateRow(i, pipedrive.CreateRemoteFileRequest{
			FileType: pipedrive.GoogleDoc, Title: fmt.Sprintf("Contract %d", i), Item: pipedrive.Deal(12),
		}))
	}
	plan := bulk.Slice(rows) // or a Source reading a database, a CSV file, ...

	// run runs the plan; stopAfter > 0 stops it once that many rows are done, as a
	// crash or Ctrl-C would.
	run := func(stopAfter int) (sent int, err error) {
		j, err := bulk.OpenJournal(journal, bulk.Header{Input: "contracts"})
		if err != nil {
			return 0, err
		}
		defer j.Close()
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		r, err := bulk.New(client.Files, j, plan, bulk.Options{Workers: 1, OnRow: func(res bulk.Result) {
			if sent++; sent == stopAfter {
				stop()
			}
		}})
		if err != nil {
			return 0, err
		}
		return sent, r.Run(ctx)
	}

	sent, err := run(4)
	fmt.Printf("first run: %d rows done, then %v\n", sent, err)
	sent, err = run(0)
	fmt.Printf("second run: %d rows done, error %v\n", sent, err)

	titles := map[string]int{}
	for _, f := range srv.Files() {
		titles[f.Name]++
	}
	fmt.Printf("files on the fake: %d, %d distinct titles\n", len(srv.Files()), len(titles))
	// Output:
	// first run: 4 rows done, then bulk: run abandoned: context canceled
	// second run: 6 rows done, error <nil>
	// files on the fake: 10, 10 distinct titles
}

// Run with Ctrl-C as the CLI handles it: the first interrupt shuts the run down
// gracefully (calls in flight finish), and Run returns ErrRunnerClosed; the journal then
// lets the same program go on where it stopped. Shutdown and Close wait for Run to
// return, so call them from another goroutine than OnRow's.
func ExampleRunner_Shutdown() {
	client, err := pipedrive.NewClient(pipedrive.WithAPIToken(os.Getenv("PIPEDRIVE_API_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	j, err := bulk.OpenJournal("plan.journal", bulk.Header{Input: "crm-export-2026-12"})
	if err != nil {
		log.Fatal(err) // errors.Is: bulk.ErrJournalInUse, bulk.ErrOtherPlan, bulk.ErrJournalDamaged, ...
	}
	defer j.Close()
	plan := bulk.Slice(nil) // your rows
	r, err := bulk.New(client.Files, j, plan, bulk.Options{Workers: 8})
	if err != nil {
		log.Fatal(err)
	}
	interrupted, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-interrupted.Done()
		_ = r.Shutdown(context.Background()) // no row starts; calls in flight finish
	}()
	var stopped *bulk.StopError
	switch err := r.Run(context.Background()); {
	case errors.Is(err, bulk.ErrRunnerClosed):
		fmt.Println("interrupted: run again to go on")
	case errors.As(err, &stopped) && errors.Is(err, pipedrive.ErrUnauthorized):
		fmt.Println("check the API token, then run again")
	case err != nil:
		fmt.Println("stopped:", err)
	}
	for res, err := range r.Results() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.Row.Line, res.State.Status, res.State.FileID, res.State.Err)
	}
}
