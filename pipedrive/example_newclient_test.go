package pipedrive_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"golang.org/x/oauth2"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// An API token, sent in the x-api-token header as Pipedrive's documentation requires.
func ExampleNewClient() {
	srv := pipedrivetest.NewServer() // stands in for https://yourcompany.pipedrive.com
	defer srv.Close()

	client, err := pipedrive.NewClient(
		pipedrive.WithAPIToken(srv.Token()), // in real code: os.Getenv("PIPEDRIVE_API_TOKEN")
		pipedrive.WithBaseURL(srv.URL()),    // in real code: pipedrive.WithCompanyDomain("yourcompany")
	)
	if err != nil {
		log.Fatal(err)
	}
	f, err := client.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleSheet, Title: "Budget", Item: pipedrive.Deal(12),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("file %d %q on deal %q\n", f.ID, f.Name, f.DealName)

	r := srv.Requests()[0]
	fmt.Println("x-api-token:", r.Header.Get("X-Api-Token"), "query:", r.Query.Encode())
	// Output:
	// file 1 "Budget" on deal "Acme website redesign"
	// x-api-token: [REDACTED] query:
}

// The API token in the api_token query parameter, as Pipedrive's remote-files tutorial
// shows. Prefer the header (ExampleNewClient): a URL ends up in access logs.
func ExampleNewClient_tokenInQuery() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()

	client, err := pipedrive.NewClient(
		pipedrive.WithAPITokenInQuery(srv.Token()),
		pipedrive.WithBaseURL(srv.URL()),
	)
	if err != nil {
		log.Fatal(err)
	}
	f, err := client.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{
		RemoteID: "123magicfile123", Item: pipedrive.Person(5),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("file %d %q linked to person %q\n", f.ID, f.Name, f.PersonName)

	r := srv.Requests()[0]
	fmt.Printf("query: %s, x-api-token: %q\n", r.Query.Encode(), r.Header.Get("X-Api-Token"))
	// Output:
	// file 1 "Price list" linked to person "John Doe"
	// query: api_token=%5BREDACTED%5D, x-api-token: ""
}

// OAuth 2.0 with a token your app obtained earlier (see ExampleOAuthEndpoint) and stored.
// The token source refreshes it through Pipedrive's token URL when it expires. With no
// base URL given, requests go to the token's api_domain.
func ExampleNewClient_oauth() {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	conf := &oauth2.Config{
		ClientID:     "your-client-id",
		ClientSecret: "your-client-secret",
		Endpoint:     pipedrive.OAuthEndpoint,
		RedirectURL:  "https://example.com/pipedrive/callback",
	}
	stored := &oauth2.Token{AccessToken: srv.Token(), RefreshToken: "your-refresh-token", TokenType: "Bearer"}
	stored = stored.WithExtra(map[string]any{
		// Pipedrive's token response names the company's API host, e.g.
		// https://yourcompany.pipedrive.com; here, the fake's.
		"api_domain": strings.TrimSuffix(srv.URL(), pipedrivetest.BasePath),
	})

	client, err := pipedrive.NewClient(pipedrive.WithTokenSource(conf.TokenSource(ctx, stored)))
	if err != nil {
		log.Fatal(err)
	}
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Organization(1),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("file %d %q on organization %q\n", f.ID, f.Name, f.OrgName)

	r := srv.Requests()[0]
	fmt.Println(r.Path, "authorization:", r.Header.Get("Authorization"))
	// Output:
	// file 1 "Proposal" on organization "Acme Corp"
	// /api/v1/files/remote authorization: Bearer [REDACTED]
}

// The start of Pipedrive's OAuth authorization-code flow: the URL to send the user to.
func ExampleOAuthEndpoint() {
	conf := &oauth2.Config{
		ClientID:     "your-client-id",
		ClientSecret: "your-client-secret",
		Endpoint:     pipedrive.OAuthEndpoint,
		RedirectURL:  "https://example.com/pipedrive/callback",
	}
	fmt.Println(conf.AuthCodeURL("random-state"))
	// Output:
	// https://oauth.pipedrive.com/oauth/authorize?client_id=your-client-id&redirect_uri=https%3A%2F%2Fexample.com%2Fpipedrive%2Fcallback&response_type=code&state=random-state
}

// The end of the flow: Pipedrive redirects the user back with a code, which the app
// exchanges for a token (at Pipedrive, so this example is compiled, not run) and turns
// into a client. Store the token (with its refresh token) to build clients later, as in
// ExampleNewClient_oauth.
func ExampleWithTokenSource() {
	conf := &oauth2.Config{
		ClientID:     os.Getenv("PIPEDRIVE_CLIENT_ID"),
		ClientSecret: os.Getenv("PIPEDRIVE_CLIENT_SECRET"),
		Endpoint:     pipedrive.OAuthEndpoint,
		RedirectURL:  "https://example.com/pipedrive/callback",
	}
	http.HandleFunc("/pipedrive/callback", func(w http.ResponseWriter, r *http.Request) {
		// Check r.FormValue("state") against the one given to AuthCodeURL first.
		ctx := r.Context()
		tok, err := conf.Exchange(ctx, r.FormValue("code"))
		if err != nil {
			http.Error(w, "authorization failed", http.StatusBadGateway)
			return
		}
		// The client follows the token's api_domain and refreshes it as needed. Use a
		// context that outlives the request for a client you keep.
		client, err := pipedrive.NewClient(pipedrive.WithTokenSource(conf.TokenSource(context.Background(), tok)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
			FileType: pipedrive.GoogleDoc, Title: "Welcome", Item: pipedrive.Deal(12),
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "created file %d\n", f.ID)
	})
	log.Fatal(http.ListenAndServe("localhost:8080", nil))
}
