package pipedrivetest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// TestAttachProposal is the README's "Testing your code with pipedrivetest" example,
// verbatim, so that the README cannot drift from what works.
func TestAttachProposal(t *testing.T) {
	srv := pipedrivetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	got, err := attachProposal(ctx, client.Files, 12, "Acme") // your code
	require.NoError(t, err)
	require.Equal(t, `"Proposal for Acme" on deal "Acme website redesign" (file 1)`, got)

	// What your code sent, as the server received it; the token is redacted.
	r := srv.Requests()[0]
	require.Equal(t, "file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Proposal+for+Acme", r.Body)
	require.Equal(t, pipedrivetest.Redacted, r.Header.Get("X-Api-Token"))

	// The failures your code must handle: an unknown deal, and one scripted outage.
	_, err = attachProposal(ctx, client.Files, 999, "Initech")
	require.ErrorIs(t, err, pipedrive.ErrNotFound)
	srv.FailNext(http.StatusServiceUnavailable, `{"success":false,"error":"Service under maintenance"}`)
	_, err = attachProposal(ctx, client.Files, 12, "Acme")
	require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	require.Len(t, srv.Files(), 1)
}
