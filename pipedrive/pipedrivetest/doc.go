// Package pipedrivetest is an in-process fake of Pipedrive's files API, for testing
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
// The server answers POST /api/v1/files/remote, POST /api/v1/files/remoteLink,
// GET /api/v1/deals|persons|organizations/{id}/files, GET /api/v1/files and GET, PUT and
// DELETE /api/v1/files/{id} the way Pipedrive does. Each request is checked, in this
// order:
//
//   - a failure queued with [Server.FailNext] is answered as given;
//   - the rate limits ([WithPlan] for a Pipedrive plan's, or [WithRateLimit] and
//     [WithDailyBudget]; the daily one counted in tokens, each operation costing the
//     x-token-cost the spec gives it as Pipedrive documents: 10 per POST or PUT, 20 per
//     page of a list, 2 per GET of one file, 6 per DELETE) answer 429 once spent (by
//     default they are far above any plan's); every response carries x-ratelimit-limit,
//     x-ratelimit-remaining, x-ratelimit-reset, x-daily-ratelimit-token-limit and
//     x-daily-ratelimit-token-remaining, and the answers to API-token POSTs and PUTs
//     x-daily-requests-left too, as Pipedrive documents; a 429 for the daily budget
//     carries Retry-After;
//   - any other path is 404, and a method a path does not have is 405, naming those it
//     has;
//   - the request is validated against the project's OpenAPI spec (package openapi) with
//     kin-openapi's openapi3filter: a missing or wrong token is 401; a POST or PUT body may
//     be application/x-www-form-urlencoded, application/json or multipart/form-data, as
//     Pipedrive accepts, and is validated the same way whichever it is; any other content
//     type is 400 (Pipedrive documents 415 as "Feature is not enabled", not as a media
//     type error); a missing, malformed or unexpected field or parameter is 400 with a
//     message naming it (so is a limit above 100). Every sort Pipedrive documents is
//     accepted: fields id, update_time and the others its earlier reference lists,
//     separated by commas, each with ASC or DESC;
//   - [WithoutGoogleAccount] makes every valid POST fail with 403;
//   - the deal, person or organization must exist (404 otherwise), and so must the Google
//     Drive file named by remote_id when linking, and the file of /files/{id};
//   - a failure queued with [Server.FailNextAfterCommit] replaces the answer of a request
//     that has been carried out, as a proxy that loses Pipedrive's answer would.
//
// Failures use Pipedrive's envelope, with its integer errorCode (the status):
// {"success":false,"error":"...","error_info":"...","errorCode":404,"data":null,
// "additional_data":null}. A created or linked file is stored, listed by [Server.Files],
// by GET /files and by the GET of its item, and returned with every field filled as
// Pipedrive fills it. The lists page as Pipedrive does (start, limit up to 100, sort;
// additional_data.pagination with next_start while more remain; data null for an empty
// page).
//
// What the fake assumes where Pipedrive documents nothing:
//
//   - PUT /files/{id} replaces the name and the description it is given (an empty one
//     too) and leaves a field it is not given; a body with neither changes nothing. Any
//     change sets update_time to the server's now. A file marked deleted may be changed
//     and stays deleted.
//   - DELETE /files/{id} marks the file deleted, as Pipedrive documents ("After 30 days,
//     the file will be permanently deleted"): active_flag false, update_time now. The
//     lists leave it out, as they do in Pipedrive by default (their include_deleted_files
//     parameter, which showed deleted files, is deprecated); GET /files/{id} still returns
//     it. A second DELETE is answered 200 like the first and changes nothing. Thirty days
//     after the deletion, by the server's clock, the file is gone for good: GET, PUT and
//     DELETE answer 404. [Server.DeleteFile] does the same as the request.
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
// about 200 bytes per file. A page of GET /files, or of an item's, by id (the default)
// reads only its own files and skips the deleted ones by bisection; a page by update_time
// does the same until a PUT or a clock that went back changes the order, after which the
// list is sorted once per change (GET /files keeps that order for the next pages).
//
// A [Clock] given to both the server ([WithClock]) and the client (pipedrive.WithClock)
// lets a test meet rate limits and retries without waiting.
//
// All state lives in memory, in the Server alone: servers share nothing, and nothing is
// written anywhere. Close stops the server listening; Files and Requests still answer
// afterwards, so a test can inspect what was received once the server is down. A Server
// is safe for concurrent use.
package pipedrivetest
