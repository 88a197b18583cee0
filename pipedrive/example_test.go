package pipedrive_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

func ExampleFilesService_CreateRemote() {
	srv := pipedrivetest.NewServer() // stands in for https://yourcompany.pipedrive.com
	defer srv.Close()

	client, err := pipedrive.NewClient(
		pipedrive.WithAPIToken(srv.Token()), // in real code: os.Getenv("PIPEDRIVE_API_TOKEN")
		// In real code: pipedrive.WithCompanyDomain("yourcompany").
		pipedrive.WithBaseURL(srv.URL()),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := client.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc,
		Title:    "Proposal for John Doe",
		Item:     pipedrive.Deal(12),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.ID, f.Name, f.FileType, "on deal", f.DealID, f.DealName)
	fmt.Println("Drive file:", f.RemoteID)
	// Output:
	// 1 Proposal for John Doe gdoc on deal 12 Acme website redesign
	// Drive file: 1hZFROwbaiXVj_Vt7E3uGoiNzJ_ddH9X3VjU3F1VhmzA
}

func ExampleFilesService_LinkRemote() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()

	client, err := pipedrive.NewClient(pipedrive.WithAPIToken(srv.Token()), pipedrive.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The file is already in Drive; its URL names it.
	id, err := pipedrive.RemoteIDFromURL("https://docs.google.com/document/d/123magicfile123/edit")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{
		RemoteID: id,
		Item:     pipedrive.Person(5),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.ID, f.Name, f.RemoteID, "linked to person", f.PersonID, f.PersonName)
	// Output:
	// 1 Price list 123magicfile123 linked to person 5 John Doe
}

func ExampleRemoteIDFromURL() {
	for _, u := range []string{
		"https://docs.google.com/document/d/123magicfile123/edit",
		"https://docs.google.com/spreadsheets/u/1/d/1AbC-_xyz/edit#gid=0",
		"https://drive.google.com/file/d/0B1x2y3z/view?usp=sharing",
		"https://drive.google.com/open?id=0B1x2y3z",
		"https://drive.google.com/uc?id=0B1x2y3z&export=download",
		"docs.google.com/a/example.com/document/d/123magicfile123/edit",
	} {
		id, err := pipedrive.RemoteIDFromURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(id)
	}

	_, err := pipedrive.RemoteIDFromURL("https://example.com/document/d/123magicfile123")
	fmt.Println(errors.Is(err, pipedrive.ErrInvalidRequest))
	fmt.Println(err)
	_, err = pipedrive.RemoteIDFromURL("https://drive.google.com/drive/folders/0B1x2y3z")
	fmt.Println(err)
	// Output:
	// 123magicfile123
	// 1AbC-_xyz
	// 0B1x2y3z
	// 0B1x2y3z
	// 0B1x2y3z
	// 123magicfile123
	// true
	// pipedrive: invalid request: URL: is not a docs.google.com or drive.google.com URL
	// pipedrive: invalid request: URL: is a Google Drive folder; a folder cannot be linked, only the files in it
}

func ExampleAPIError() {
	srv := pipedrivetest.NewServer() // knows deals 12 and 13, not 999
	defer srv.Close()

	client, err := pipedrive.NewClient(pipedrive.WithAPIToken(srv.Token()), pipedrive.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = client.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleSheet, Title: "Budget", Item: pipedrive.Deal(999),
	})

	// The sentinels cover the common decisions ...
	var rateLimited *pipedrive.RateLimitError
	switch {
	case errors.Is(err, pipedrive.ErrNotFound):
		fmt.Println("no such deal")
	case errors.As(err, &rateLimited):
		fmt.Println("try again in", rateLimited.RetryAfter)
	case errors.Is(err, pipedrive.ErrOutcomeUnknown):
		fmt.Println("check the deal's files before trying again")
	}
	// ... and *APIError has the details Pipedrive sent.
	var apiErr *pipedrive.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Operation)
		fmt.Println(apiErr.Message)
	}
	fmt.Println(err)
	// Output:
	// no such deal
	// 404 POST /files/remote
	// Deal not found
	// pipedrive: POST /files/remote: 404 Not Found: Deal not found
}

// After a create whose answer was lost, FindCreated finds out whether the file was
// created. pipedrivetest stands in for Pipedrive and loses the answer on purpose.
func ExampleFilesService_FindCreated() {
	clock := pipedrivetest.NewClock(time.Now()) // so that FindCreated's settle wait takes no time
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clock.Now))
	defer srv.Close()
	client := srv.Client(pipedrive.WithClock(clock)) // in real code: pipedrive.NewClient(...)
	ctx := context.Background()
	srv.FailNextAfterCommit(http.StatusBadGateway, "<html>502 Bad Gateway</html>")

	req := pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal for John Doe", Item: pipedrive.Deal(12)}
	start := clock.Now() // in real code: time.Now()
	f, err := client.Files.CreateRemote(ctx, req)
	if errors.Is(err, pipedrive.ErrOutcomeUnknown) {
		fmt.Println("outcome unknown:", err)
		f, err = client.Files.FindCreated(ctx, req, start)
	}
	switch {
	case errors.Is(err, pipedrive.ErrNotCreated):
		fmt.Println("not created: safe to send again")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("created:", f.ID, f.Name, "on deal", f.DealID)
	}
	// Output:
	// outcome unknown: pipedrive: POST /files/remote: 502 Bad Gateway: unexpected response body "<html>502 Bad Gateway</html>"
	// created: 1 Proposal for John Doe on deal 12
}

// EnsureLinked links a Drive file once, however often it is called.
func ExampleFilesService_EnsureLinked() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	req := pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Deal(12)}
	for range 2 {
		f, linked, err := client.Files.EnsureLinked(ctx, req)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("file", f.ID, "linked now:", linked)
	}
	fmt.Println("files on the deal:", len(srv.Files()))
	// Output:
	// file 1 linked now: true
	// file 1 linked now: false
	// files on the deal: 1
}

// List ranges over an item's files, fetching pages as the loop goes.
func ExampleFilesService_List() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	for _, title := range []string{"Proposal", "Budget"} {
		if _, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: title, Item: pipedrive.Person(5)}); err != nil {
			fmt.Println(err)
			return
		}
	}
	for f, err := range client.Files.List(ctx, pipedrive.Person(5)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.ID, f.Name, f.FileType)
	}
	// Output:
	// 1 Proposal gsheet
	// 2 Budget gsheet
}

// The remote-files tutorial's flow: find the remote_id of a Drive file that is already in
// Pipedrive by listing the company's files, then link it to another item.
func ExampleFilesService_ListAll() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	// Someone linked the price list to person 5 earlier.
	if _, err := client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "123magicfile123", Item: pipedrive.Person(5)}); err != nil {
		fmt.Println(err)
		return
	}

	var remoteID string
	for f, err := range client.Files.ListAll(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if f.IsDriveFile() && f.Name == "Price list" {
			remoteID = f.RemoteID
			break // stops fetching pages
		}
	}
	f, err := client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: remoteID, Item: pipedrive.Deal(13)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("file %d: %s (%s) linked to deal %d %q\n", f.ID, f.Name, f.RemoteID, f.DealID, f.DealName)
	// Output:
	// file 2: Price list (123magicfile123) linked to deal 13 "Globex renewal"
}

// Update sends only the fields a FileUpdate sets: a nil field is left as it is, and a
// field set to "" clears it.
func ExampleFilesService_Update() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range []pipedrive.FileUpdate{
		{Name: new("Proposal v2"), Description: new("For review")},
		{Description: new("")},
	} {
		if f, err = client.Files.Update(ctx, f.ID, u); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q %q\n", f.Name, f.Description)
	}
	_, err = client.Files.Update(ctx, f.ID, pipedrive.FileUpdate{Name: new(" ")})
	fmt.Println(errors.Is(err, pipedrive.ErrInvalidRequest), err)
	// Output:
	// "Proposal v2" "For review"
	// "Proposal v2" ""
	// true pipedrive: invalid request: Name: must contain a visible character (white space and invisible characters such as U+200B do not count)
}

// Delete marks a file deleted: Get still finds it, with ActiveFlag false, until Pipedrive
// deletes it for good 30 days later, and the lists leave it out at once.
func ExampleFilesService_Delete() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Duplicate", Item: pipedrive.Deal(12)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := client.Files.Delete(ctx, f.ID); err != nil {
		fmt.Println(err)
		return
	}
	f, err = client.Files.Get(ctx, f.ID)
	fmt.Println(f.Name, "active:", f.ActiveFlag, err)
	n := 0
	for _, err := range client.Files.List(ctx, pipedrive.Deal(12)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
	}
	fmt.Println("files on the deal:", n)
	_, err = client.Files.Get(ctx, 99)
	fmt.Println(errors.Is(err, pipedrive.ErrNotFound))
	// Output:
	// Duplicate active: false <nil>
	// files on the deal: 0
	// true
}

// One golang.org/x/time/rate.Limiter shared by every client that uses the same token
// keeps them together under a budget (here 20 requests per 2 seconds, Pipedrive's lowest
// API-token limit); each client still paces itself by the headers in front of it.
func ExampleWithRateLimiter() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	shared := rate.NewLimiter(rate.Every(100*time.Millisecond), 20)

	client, err := pipedrive.NewClient(
		pipedrive.WithAPIToken(srv.Token()),
		pipedrive.WithBaseURL(srv.URL()),
		pipedrive.WithRateLimiter(shared),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{
		RemoteID: "123magicfile123",
		Item:     pipedrive.Deal(12),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.RemoteID, f.DealID)
	// Output: 123magicfile123 12
}

// WithAttemptHook counts the requests a client sends and the 429s among them; here the
// fake answers the first attempt with a 429, and the client retries.
func ExampleWithAttemptHook() {
	clock := pipedrivetest.NewClock(time.Now()) // so that the retry's wait takes no time
	srv := pipedrivetest.NewServer(pipedrivetest.WithClock(clock.Now))
	defer srv.Close()
	srv.FailNext(http.StatusTooManyRequests, `{"success":false,"error":"Request over limit"}`)

	var requests, limited atomic.Int64
	client := srv.Client( // in real code: pipedrive.NewClient(...)
		pipedrive.WithClock(clock),
		pipedrive.WithAttemptHook(func(_ context.Context, a pipedrive.Attempt) {
			fmt.Println("attempt", a.Attempt, "of", a.Operation, "answered", a.StatusCode)
			if a.StatusCode > 0 {
				requests.Add(1)
			}
			if a.StatusCode == http.StatusTooManyRequests {
				limited.Add(1)
			}
		}))
	_, err := client.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal for John Doe", Item: pipedrive.Deal(12)})
	fmt.Println("error:", err)
	fmt.Println(requests.Load(), "requests,", limited.Load(), "answered 429")
	// Output:
	// attempt 1 of POST /files/remote answered 429
	// attempt 2 of POST /files/remote answered 200
	// error: <nil>
	// 2 requests, 1 answered 429
}
