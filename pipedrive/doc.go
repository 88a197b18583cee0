// Package pipedrive attaches Google Drive files to Pipedrive deals, persons and
// organizations through Pipedrive's API v1, lists an item's files or the company's, and
// reads, renames and deletes one file.
//
//   - [FilesService.CreateRemote] (POST /files/remote) creates a new, empty Google Doc,
//     Sheet, Slides, Form or Drawing in the user's Drive and links it to the item;
//   - [FilesService.LinkRemote] (POST /files/remoteLink) links a file that is already in
//     Drive, identified by its id ([RemoteIDFromURL] extracts it from a Google URL);
//   - [FilesService.List] (GET /deals|persons|organizations/{id}/files) ranges over the
//     files attached to an item, a page at a time;
//   - [FilesService.ListAll] (GET /files) ranges over every file of the company, uploaded
//     ones included: the way to find the remote id of a Drive file already in Pipedrive;
//   - [FilesService.Get], [FilesService.Update] and [FilesService.Delete] (GET, PUT and
//     DELETE /files/{id}) read one file, change its name or description, and mark it
//     deleted.
//
// Every file comes back as a *[File] ([RemoteFile] is its older name, the same type).
//
// Neither POST is idempotent, so the client sends one again only when the server cannot
// have acted on it (a 429, or a connection that was never made); anything else whose
// outcome is unknown matches [ErrOutcomeUnknown]. Two calls turn that into a known
// outcome: [FilesService.EnsureLinked] links a Drive file exactly once, and
// [FilesService.FindCreated] finds the file a create with an unknown outcome made. The
// GETs change nothing, and PUT and DELETE are idempotent, so those are also retried on a
// 500, 502, 503 or 504, a timeout or a broken connection.
//
// Requests are validated before anything is sent; a rule broken is a *[ValidationError]
// naming the field. Every failure Pipedrive or a proxy answers is an *[APIError] (a
// *[RateLimitError] for 429) that matches sentinels such as [ErrNotFound] with errors.Is.
//
// The package wraps the client generated from openapi/pipedrive-remote-files.yaml (package
// gen); no generated type appears in its API. A [Client] is safe for concurrent use.
package pipedrive

// Version is this library's version, sent in the User-Agent header.
const Version = "0.2.0"
