package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// runDemo shows the library at work on the fake: create, link, a validation error and a
// rate-limited call that is retried. It needs no account and no network.
func runDemo(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
			fmt.Fprint(stdout, "Usage: pipedrive-files demo\n\nRuns create and link, a validation error and a rate-limited retry against a fake\nPipedrive inside this process (package pipedrivetest). No account, no network, no flags.\n")
			return exitOK
		}
		return report(stderr, "demo", usagef("demo takes no arguments, got %q", args[0]))
	}
	d := &demo{out: stdout}
	if err := d.run(ctx); err != nil {
		return report(stderr, "demo", err)
	}
	return exitOK
}

// demo holds the fake server and prints what happens.
type demo struct {
	out io.Writer
	srv *pipedrivetest.Server
}

// printf writes to the demo's output.
func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

// run plays the demo's steps against its fake.
func (d *demo) run(ctx context.Context) error {
	d.srv = pipedrivetest.NewServer()
	defer d.srv.Close()
	client := d.srv.Client(pipedrive.WithUserAgent(userAgent))
	d.printf("pipedrive-files demo: package pipedrive against pipedrivetest, a fake Pipedrive running\n")
	d.printf("in this process at %s. No account, no network.\n", d.srv.URL())
	d.printf("The fake knows deal 12 %q, person 5 %q and the Drive file 123magicfile123.\n", "Acme website redesign", "John Doe")

	d.printf("\n1. Create a Google Doc and link it to deal 12\n")
	d.printf("   client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc,\n")
	d.printf("       Title: %q, Item: pipedrive.Deal(12)})\n", "Proposal for Acme")
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal for Acme", Item: pipedrive.Deal(12),
	})
	if err != nil {
		return err
	}
	d.exchange(d.srv.Requests()[0])
	d.result(f)

	d.printf("\n2. Link a file already in Google Drive, by its URL, to person 5\n")
	const docURL = "https://docs.google.com/document/d/123magicfile123/edit"
	id, err := pipedrive.RemoteIDFromURL(docURL)
	if err != nil {
		return err
	}
	d.printf("   pipedrive.RemoteIDFromURL(%q) = %q\n", docURL, id)
	d.printf("   client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: %q, Item: pipedrive.Person(5)})\n", id)
	if f, err = client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Person(5)}); err != nil {
		return err
	}
	d.exchange(d.srv.Requests()[1])
	d.result(f)

	if err := d.validation(ctx, client); err != nil {
		return err
	}
	if err := d.rateLimit(ctx); err != nil {
		return err
	}
	d.printf("\nDone. Try the command itself on the fake:\n")
	d.printf("   go run ./cmd/pipedrive-files create --fake --type gsheet --title \"Budget\" --deal 12\n")
	d.printf("and on your account: export PIPEDRIVE_API_TOKEN and PIPEDRIVE_COMPANY_DOMAIN, drop --fake.\n")
	return nil
}

// validation shows a request refused by the client, then one the server refuses.
func (d *demo) validation(ctx context.Context, client *pipedrive.Client) error {
	d.printf("\n3. A validation error is caught before anything is sent\n")
	before := len(d.srv.Requests())
	_, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "   ", Item: pipedrive.Deal(12),
	})
	var ve *pipedrive.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("expected a validation error for a blank title, got %v", err)
	}
	d.printf("   CreateRemote with Title %q: %v\n", "   ", err)
	d.printf("   errors.Is(err, pipedrive.ErrInvalidRequest) = %t, Field = %q; requests sent: %d\n",
		errors.Is(err, pipedrive.ErrInvalidRequest), ve.Field, len(d.srv.Requests())-before)

	d.printf("   The fake checks every request against the OpenAPI spec as Pipedrive would; a raw\n")
	d.printf("   POST with item_id=twelve (which the client never sends) gets Pipedrive's error envelope:\n")
	body := "file_type=gdoc&item_id=twelve&item_type=deal&remote_location=googledrive&title=Proposal"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.srv.URL()+"/files/remote", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Api-Token", d.srv.Token())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("raw request to the fake: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	reqs := d.srv.Requests()
	d.exchange(reqs[len(reqs)-1])
	return nil
}

// rateLimit spends a tiny window with one client, then shows another being refused with
// 429, waiting x-ratelimit-reset and succeeding on its second attempt.
func (d *demo) rateLimit(ctx context.Context) error {
	d.printf("\n4. A rate-limited call is retried\n")
	// The fake and the client share a clock that moves only when the client waits (for
	// real), so the 429 happens however slow the machine is between the two calls.
	clock := realWaits{pipedrivetest.NewClock(time.Now())}
	srv := pipedrivetest.NewServer(pipedrivetest.WithRateLimit(1, time.Second), pipedrivetest.WithClock(clock.Now))
	defer srv.Close()
	d.printf("   A second fake allows 1 request per second (pipedrivetest.WithRateLimit(1, time.Second)).\n")
	other := srv.Client(pipedrive.WithRetry(pipedrive.NoRetry))
	if _, err := other.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleSheet, Title: "Forecast", Item: pipedrive.Deal(13),
	}); err != nil {
		return err
	}
	d.printf("   Another program using the same token has just spent it. Our client (default retry policy):\n")
	client := srv.Client(pipedrive.WithUserAgent(userAgent), pipedrive.WithLogger(slog.New(&attempts{out: d.out})), pipedrive.WithClock(clock))
	began := time.Now()
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal for Globex", Item: pipedrive.Deal(13),
	})
	if err != nil {
		return err
	}
	reqs := srv.Requests()
	d.printf("   Done in %.1fs. The server saw %d requests: %d, then %d and %d from our client.\n",
		time.Since(began).Seconds(), len(reqs), reqs[0].Status, reqs[1].Status, reqs[len(reqs)-1].Status)
	d.printf("   A 429 means Pipedrive did nothing, so sending again is safe; a 5xx or a timeout is never\n")
	d.printf("   retried (the file may exist) and matches pipedrive.ErrOutcomeUnknown instead.\n")
	d.result(f)
	return nil
}

// exchange prints a request as the fake received it (token redacted) and its answer.
func (d *demo) exchange(r pipedrivetest.Request) {
	d.printf("   sent      %s %s\n", r.Method, r.Path)
	for _, h := range []string{"X-Api-Token", "Content-Type", "User-Agent"} {
		if v := r.Header.Get(h); v != "" {
			d.printf("             %s: %s\n", strings.ToLower(h), v)
		}
	}
	d.printf("             %s\n", r.Body)
	d.printf("   received  %d %s\n", r.Status, http.StatusText(r.Status))
	d.printf("             %s\n", r.Response)
}

// result prints the decoded file.
func (d *demo) result(f *pipedrive.RemoteFile) {
	d.printf("   result    file %d %q (%s, Drive id %s)\n", f.ID, f.Name, f.FileType, f.RemoteID)
	d.printf("             linked to %s; added %s\n",
		strings.Join(related(pipedrive.Item{}, f), ", "), f.AddTime.Format("2006-01-02 15:04:05 MST"))
}

// attempts is a slog.Handler that prints the client's per-attempt debug lines.
type attempts struct{ out io.Writer }

// Enabled takes every record: the client logs each attempt at debug level.
func (a *attempts) Enabled(context.Context, slog.Level) bool { return true }

// Handle prints one line per attempt the client logs.
func (a *attempts) Handle(_ context.Context, r slog.Record) error {
	var (
		status, attempt, remaining int64
		wait                       time.Duration
	)
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "status":
			status = at.Value.Int64()
		case "attempt":
			attempt = at.Value.Int64()
		case "remaining":
			remaining = at.Value.Int64()
		case "wait":
			wait = at.Value.Duration()
		}
		return true
	})
	line := fmt.Sprintf("   attempt %d  %d %s, x-ratelimit-remaining %d", attempt, status, http.StatusText(int(status)), remaining)
	if wait > 0 {
		line += fmt.Sprintf(": waiting %s (x-ratelimit-reset) before sending it again", wait)
	}
	_, err := fmt.Fprintln(a.out, line)
	return err
}

// WithAttrs and WithGroup return a: the lines do not depend on them.
func (a *attempts) WithAttrs([]slog.Attr) slog.Handler { return a }
func (a *attempts) WithGroup(string) slog.Handler      { return a }

// realWaits is a pipedrivetest.Clock whose waits really wait, so that the demo shows a
// retry taking time while the clock it shares with the fake still moves only by the waits.
type realWaits struct{ *pipedrivetest.Clock }

// Sleep waits d (or until ctx is done), then moves the clock on by d.
func (c realWaits) Sleep(ctx context.Context, d time.Duration) error {
	if err := pipedrive.WallClock().Sleep(ctx, d); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
