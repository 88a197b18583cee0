// Package pipedrivetest is an in-process fake of Pipedrive's remote-file API, for testing
// code that uses package pipedrive without a Pipedrive account or a network, in the way
// net/http/httptest serves fake HTTP servers:
//
//	srv := pipedrivetest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // a *pipedrive.Client pointed at srv, with its token
//	...
//	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{...})
//	// assert on f, on srv.Files() and on srv.Requests()
//
// The server answers POST /api/v1/files/remote, POST /api/v1/files/remoteLink and
// GET /api/v1/deals|persons|organizations/{id}/files the way Pipedrive does. Each request
// is checked, in this order:
//
//   - a failure queued with [Server.FailNext] is answered as given;
//   - the rate limits ([WithPlan] for a Pipedrive plan's, or [WithRateLimit] and
//     [WithDailyBudget]; the daily one counted in tokens: 10 per POST, 20 per GET) answer
//     429 once spent (by default they are far above any plan's); every response carries
//     x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset,
//     x-daily-ratelimit-token-limit, x-daily-ratelimit-token-remaining and, for API-token
//     requests, x-daily-requests-left; a 429 for the daily budget carries Retry-After;
//   - any other path is 404, and any other method on those paths is 405;
//   - the request is validated against the project's OpenAPI spec (package openapi) with
//     kin-openapi's openapi3filter: a missing or wrong token is 401; a POST body may be
//     application/x-www-form-urlencoded, application/json or multipart/form-data, as
//     Pipedrive accepts, and is validated the same way whichever it is; any other content
//     type is 415; a missing, malformed or unexpected field or query parameter is 400 with
//     a message naming it (so is a limit above 100);
//   - [WithoutGoogleAccount] makes every valid POST fail with 403;
//   - the deal, person or organization must exist (404 otherwise), and so must the Google
//     Drive file named by remote_id when linking;
//   - a failure queued with [Server.FailNextAfterCommit] replaces the answer of a request
//     that has been carried out, as a proxy that loses Pipedrive's answer would.
//
// Failures use Pipedrive's envelope: {"success":false,"error":"...","error_info":"...",
// "data":null,"additional_data":null}. A created or linked file is stored, listed by
// [Server.Files] and by the GET of its item, and returned with every field filled as
// Pipedrive fills it. The GETs page as Pipedrive does (start, limit up to 100, sort by id
// or update_time; additional_data.pagination with next_start while more remain; data
// null for an empty page). [Server.DeleteFile] marks a file deleted (active_flag false).
//
// A new server knows a few deals, persons, organizations and Google Drive files (listed
// at [NewServer]). [WithFixtures] replaces them with the ones a test or a plan needs, given
// in Go or read from JSON by [LoadFixtures]:
//
//	{"deals": [101, 102], "persons": [7], "organizations": [3],
//	 "drive_files": [{"id": "123magicfile123", "name": "Price list"}]}
//
// Files are indexed by the item they are linked to, so a server holding a million files
// lists a page of one item's files in about the time a page of a few takes, and keeps
// about 200 bytes per file.
//
// A [Clock] given to both the server ([WithClock]) and the client (pipedrive.WithClock)
// lets a test meet rate limits and retries without waiting.
//
// All state lives in memory, in the Server alone: servers share nothing, and nothing is
// written anywhere. Close stops the server listening; Files and Requests still answer
// afterwards, so a test can inspect what was received once the server is down. A Server
// is safe for concurrent use.
package pipedrivetest
