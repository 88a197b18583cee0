package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	// No environment at all: the demo needs neither an account nor a network.
	r := runWith(t, nil, "demo")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	out := r.stdout

	for _, want := range []string{
		"1. Create a Google Doc and link it to deal 12\n",
		"   sent      POST /api/v1/files/remote\n             x-api-token: [REDACTED]\n",
		"             file_type=gdoc&item_id=12&item_type=deal&remote_location=googledrive&title=Proposal+for+Acme\n   received  200 OK\n             {\"success\":true,\"data\":{\"id\":1,",
		`   result    file 1 "Proposal for Acme" (gdoc, Drive id `,
		`             linked to deal 12 "Acme website redesign", person 5 "John Doe", organization 1 "Acme Corp"; added `,
		"2. Link a file already in Google Drive, by its URL, to person 5\n",
		`   pipedrive.RemoteIDFromURL("https://docs.google.com/document/d/123magicfile123/edit") = "123magicfile123"` + "\n",
		"             item_id=5&item_type=person&remote_id=123magicfile123&remote_location=googledrive\n   received  200 OK\n",
		`   result    file 2 "Price list" (gdoc, Drive id 123magicfile123)` + "\n",
		"3. A validation error is caught before anything is sent\n",
		`   CreateRemote with Title "   ": pipedrive: invalid request: Title: must contain a visible character (white space and invisible characters such as U+200B do not count)` + "\n",
		`   errors.Is(err, pipedrive.ErrInvalidRequest) = true, Field = "Title"; requests sent: 0` + "\n",
		"   received  400 Bad Request\n             {\"success\":false,\"error\":\"Invalid input: item_id - must be an integer, got \\\"twelve\\\"\"",
		"4. A rate-limited call is retried\n",
		"   attempt 1  429 Too Many Requests, x-ratelimit-remaining 0: waiting 1s (x-ratelimit-reset) before sending it again\n",
		"   attempt 2  200 OK, x-ratelimit-remaining 0\n",
		"The server saw 3 requests: 200, then 429 and 200 from our client.\n",
		`   result    file 2 "Proposal for Globex"`,
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, 1, strings.Count(out, "attempt 1 "), "one call, retried once")
	// The fake's token is 40 hex digits; it is never printed.
	assert.NotRegexp(t, regexp.MustCompile(`[0-9a-f]{40}`), out)
}
