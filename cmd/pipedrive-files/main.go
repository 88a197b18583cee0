// Command pipedrive-files attaches Google Drive files to Pipedrive deals, persons and
// organizations from the command line, and lists, reads, renames and deletes files, using
// package pipedrive:
//
//	pipedrive-files create --type gdoc --title "Proposal" --deal 12
//	pipedrive-files link --url https://docs.google.com/document/d/ID/edit --person 5
//	pipedrive-files list --deal 12
//	pipedrive-files files --remote-id ID
//	pipedrive-files get 7
//	pipedrive-files update 7 --name "Proposal v2"
//	pipedrive-files delete 7
//	pipedrive-files demo
//	pipedrive-files --version
//
// The API token comes from PIPEDRIVE_API_TOKEN only, never from a flag, so that it stays
// out of shell history and process listings. --fake runs a command against a fake
// Pipedrive (package pipedrivetest) started in the process, and demo shows the whole
// library at work on that fake: neither needs an account or a network. Run
// `pipedrive-files help` for the flags, the environment and the exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Exit codes, documented in the usage text.
const (
	exitOK          = 0   // success
	exitAPI         = 1   // Pipedrive refused or failed the call, or it could not be sent
	exitUsage       = 2   // bad flags, environment or request: nothing was sent
	exitUnknown     = 3   // sent, but whether it was carried out is unknown (pipedrive.ErrOutcomeUnknown)
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it)
)

const usage = `pipedrive-files attaches Google Drive files to Pipedrive deals, persons and organizations,
and lists, reads, renames and deletes the company's files.

Usage:
  pipedrive-files create --title TITLE [--type gdoc] (--deal ID | --person ID | --org ID) [flags]
  pipedrive-files link (--remote-id ID | --url URL) (--deal ID | --person ID | --org ID) [--no-check] [flags]
  pipedrive-files list (--deal ID | --person ID | --org ID) [flags]
  pipedrive-files files [--remote-id ID | --url URL] [flags]
  pipedrive-files get ID [flags]
  pipedrive-files update ID [--name NAME] [--description TEXT] [flags]
  pipedrive-files delete ID [--yes] [flags]
  pipedrive-files bulk [flags] FILE
  pipedrive-files serve-fake [flags]
  pipedrive-files demo
  pipedrive-files version
  pipedrive-files help [command]

Commands:
  create   create a new, empty Google file in the user's Drive and link it to the item
           (POST /files/remote); --type is one of gdoc, gsheet, gslides, gform, gdraw
  link     link a file that is already in Google Drive (POST /files/remoteLink), given its
           Drive id or its docs.google.com / drive.google.com URL; exactly once: prints
           "already linked: file N" if it is, --no-check links without looking first
  list     list the files attached to the item, one per line (id, name, type, Drive id,
           added), or a JSON array with --json
  files    list every file of the company (GET /files), uploaded ones too, one per line, or
           with --remote-id or --url only those that link that Drive file: where a Drive
           file is already linked, and its remote_id for link
  get      print one file (GET /files/{id}), or it as JSON with --json
  update   change a file's name (--name) or description (--description, "" clears it)
           (PUT /files/{id})
  delete   mark a file deleted (DELETE /files/{id}); asks first on a terminal, and needs
           --yes otherwise
  bulk     create and link the files a CSV file lists, resumable and never twice: a journal
           records each row, so running it again goes on where it stopped
  serve-fake
           run the fake Pipedrive (pipedrivetest) as a server, for bulk, scripts and curl
  demo     create and link files, a validation error and a rate-limited retry, all on a
           fake Pipedrive inside this process: no account, no network
  version  print the library version and, when the binary records them, the module
           version and VCS revision it was built from (also --version)

Flags of create, link, list, files, get, update and delete (one or two dashes):
  --json                 print the file (list, files: the files) as JSON, with Pipedrive's
                         field names, instead of text (not delete)
  --timeout DURATION     give up after DURATION (e.g. 30s, 2m), retries, rate-limit waits and
                         the check after an unknown outcome included; by default there is no
                         overall limit, and each attempt is bounded by the library's 60s
  --company-domain NAME  send requests to https://NAME.pipedrive.com/api/v1
  --base-url URL         send requests to URL, e.g. https://acme.pipedrive.com/api/v1
  --fake                 use a fake Pipedrive started in this process (pipedrivetest), seeded
                         with deals 12 and 13, persons 5 and 6, organizations 1 and 2, and
                         the Drive file 123magicfile123, and no files (so get, update and
                         delete find none: use serve-fake to keep files between commands)
  --rate-limit N/WINDOW  send at most N requests per WINDOW (e.g. 16/2s), evenly spaced: with
                         --redis-url, all the processes on the token together; else this one
  --redis-url URL        share --rate-limit (default 20/2s) with every process on the token
                         through Redis: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://...
                         or unix:///PATH; Redis unreachable at start: exit 1, nothing sent
                         (bulk also takes these two flags)

Environment (flags override it):
  PIPEDRIVE_API_TOKEN       your API token (Settings > Personal preferences > API); required
                            unless --fake. There is no flag for it: a token on a command line
                            ends up in shell history and process listings.
  PIPEDRIVE_COMPANY_DOMAIN  your company's subdomain, e.g. acme
  PIPEDRIVE_BASE_URL        the API base URL (default https://api.pipedrive.com/v1)
  PIPEDRIVE_REDIS_URL       the Redis to share the rate limit through (--redis-url)

Exit status:
  0    success
  1    Pipedrive refused or failed the call, or it was not sent; the message gives the
       HTTP status and Pipedrive's error text (bulk: a row failed or was not sent)
  2    usage or validation error: the message names the flag or variable; nothing was sent
       (delete: also no --yes when stdin is not a terminal)
  3    outcome unknown: the request was sent, and neither the answer (a 5xx, a timeout, a
       broken connection) nor a look at the item's files says whether Pipedrive carried
       it out; check the item's files before running the command again
       (bulk: a row's outcome is still unknown after looking; run the same command again;
       update, delete: retried already, and running them again is safe)
  130  interrupted (Ctrl-C or SIGTERM); bulk: run the same command again to go on

The token is never printed.
`

// main runs the command with the process's arguments, streams and signals.
func main() {
	ctx, stop := interruptible(context.Background())
	code := run(ctx, &env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Clock: pipedrive.WallClock()}, os.Args[1:])
	stop()
	os.Exit(code)
}

// env is what a command takes from the process it runs in, so that tests run commands
// in-process with their own.
type env struct {
	Getenv         func(string) string // the environment
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Clock is the one every client and bulk's own waits use: tests pass a
	// pipedrivetest.Clock, which does not sleep.
	Clock pipedrive.Clock
	// Options go to every client a command makes, after its own: tests pass an HTTP
	// client that connects to loopback addresses only.
	Options []pipedrive.Option
	// Terminal says whether a person answers on Stdin, for delete's question; nil means
	// whether Stdin is a terminal device. Tests answer for one.
	Terminal func() bool
}

// clientOptions are the options of every client a command makes: the clock, then
// e.Options.
func (e *env) clientOptions() []pipedrive.Option {
	return append([]pipedrive.Option{pipedrive.WithClock(e.Clock)}, e.Options...)
}

// run is the whole command, given its arguments without the program name.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "create":
		return runCreate(ctx, e, rest)
	case "link":
		return runLink(ctx, e, rest)
	case "list":
		return runList(ctx, e, rest)
	case "files":
		return runFiles(ctx, e, rest)
	case "get":
		return runGet(ctx, e, rest)
	case "update":
		return runUpdate(ctx, e, rest)
	case "delete":
		return runDelete(ctx, e, rest)
	case "bulk":
		return runBulk(ctx, e, rest)
	case "serve-fake":
		return runServeFake(ctx, e, rest)
	case "demo":
		return runDemo(ctx, e, rest)
	case "version", "-version", "--version":
		return runVersion(e, rest)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, e, []string{rest[0], "-h"})
		}
		fmt.Fprint(e.Stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(e.Stderr, "pipedrive-files: unknown command %q: want create, link, list, files, get, update, delete, bulk, serve-fake, demo, version or help\n", cmd)
		return exitUsage
	}
}
