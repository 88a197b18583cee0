package pipedrivetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// attachProposal is the code under test: it creates a proposal document on a deal and
// says what it did.
func attachProposal(ctx context.Context, files *pipedrive.FilesService, dealID int64, customer string) (string, error) {
	f, err := files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc,
		Title:    "Proposal for " + customer,
		Item:     pipedrive.Deal(dealID),
	})
	if err != nil {
		return "", fmt.Errorf("attaching the proposal to deal %d: %w", dealID, err)
	}
	return fmt.Sprintf("%q on deal %q (file %d)", f.Name, f.DealName, f.ID), nil
}

// Testing your own code with a fake Pipedrive: no account, no network.
func Example() {
	srv := pipedrivetest.NewServer() // seeded with deal 12 "Acme website redesign"
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	got, err := attachProposal(ctx, client.Files, 12, "Acme")
	fmt.Println(got, err)

	// What your code sent, as the server received it; the token is redacted.
	r := srv.Requests()[0]
	fmt.Println(r.Method, r.Path, r.Status)
	fmt.Println(r.Body)
	fmt.Println("x-api-token:", r.Header.Get("X-Api-Token"))

	// The failures your code must handle: an unknown deal, and one scripted outage.
	_, err = attachProposal(ctx, client.Files, 999, "Initech")
	fmt.Println(errors.Is(err, pipedrive.ErrNotFound), err)
	srv.FailNext(http.StatusServiceUnavailable, `{"success":false,"error":"Service under maintenance"}`)
	_, err = attachProposal(ctx, client.Files, 12, "Acme")
	fmt.Println(errors.Is(err, pipedrive.ErrOutcomeUnknown), err)

	fmt.Println(len(srv.Files()), "file stored,", len(srv.Requests()), "requests received")
	// Output:
	// "Proposal for Acme" on deal "Acme website redesign" (file 1) <nil>
	// POST /api/v1/files/remote 200
	// file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Proposal+for+Acme
	// x-api-token: [REDACTED]
	// true attaching the proposal to deal 999: pipedrive: POST /files/remote: 404 Not Found: Deal not found
	// true attaching the proposal to deal 12: pipedrive: POST /files/remote: 503 Service Unavailable: Service under maintenance
	// 1 file stored, 3 requests received
}

// A fake with your own deals and Drive files instead of the built-in ones, here read from
// JSON in the format serve-fake --fixtures takes: only what it lists exists.
func ExampleWithFixtures() {
	fixtures, err := pipedrivetest.LoadFixtures(strings.NewReader(`{
		"deals": [101, 102],
		"drive_files": [{"id": "1RateCardXyZ", "name": "Rate card"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := pipedrivetest.NewServer(pipedrivetest.WithFixtures(fixtures))
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	f, err := client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "1RateCardXyZ", Item: pipedrive.Deal(101)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q linked to %q (file %d)\n", f.Name, f.DealName, f.ID)

	// Deal 12 of the built-in items does not exist here.
	_, err = client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: "1RateCardXyZ", Item: pipedrive.Deal(12)})
	fmt.Println(errors.Is(err, pipedrive.ErrNotFound), err)

	// Invalid fixtures are refused with the field at fault.
	_, err = pipedrivetest.LoadFixtures(strings.NewReader(`{"deals": [101, 101]}`))
	fmt.Println(err)
	// Output:
	// "Rate card" linked to "Deal 101" (file 1)
	// true pipedrive: POST /files/remoteLink: 404 Not Found: Deal not found
	// pipedrivetest: fixtures: deals[1]: id 101 is listed twice (also deals[0])
}

// The rate limits of each Pipedrive plan, which WithPlan gives a server.
func ExamplePlan() {
	for _, p := range pipedrivetest.Plans() {
		fmt.Printf("%-12s %3d requests per %s, %d tokens a day\n", p, p.BurstLimit(), pipedrivetest.BurstWindow, p.DailyBudget())
	}
	// Output:
	// essential     20 requests per 2s, 30000 tokens a day
	// advanced      40 requests per 2s, 60000 tokens a day
	// professional  80 requests per 2s, 90000 tokens a day
	// power        100 requests per 2s, 150000 tokens a day
	// enterprise   120 requests per 2s, 210000 tokens a day
}
