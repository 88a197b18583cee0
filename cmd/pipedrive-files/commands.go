package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

const createHelp = `Usage: pipedrive-files create --title TITLE [--type gdoc] (--deal ID | --person ID | --org ID) [flags]

Creates a new, empty Google file in the user's Drive and links it to the item
(POST /files/remote). Pipedrive has no idempotency keys: running it twice creates two files.
When the answer is lost (a 5xx or a dropped connection), the item's files are listed to find
out whether the file was created: "created (confirmed after an unknown outcome)" if it was,
otherwise a message saying what is known. Environment, exit status: see pipedrive-files help.

Flags:
`

const linkHelp = `Usage: pipedrive-files link (--remote-id ID | --url URL) (--deal ID | --person ID | --org ID) [flags]

Links a file that is already in Google Drive to the item (POST /files/remoteLink). Give the
Drive file id, or the file's docs.google.com or drive.google.com URL and the id is taken
from it. Exactly once: the item's files are listed first, and if the Drive file is already
linked it prints "already linked: file N" and exits 0; a link whose answer is lost is
checked the same way, and sent once more only if it did not take effect. --no-check sends
the link without looking first. Environment, exit status: see pipedrive-files help.

Flags:
`

// runCreate is the create command.
func runCreate(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var (
		c       common
		items   itemFlags
		timeout timeoutFlag
		typ     = fs.String("type", string(pipedrive.GoogleDoc), "the kind of Google file: gdoc, gsheet, gslides, gform or gdraw")
		title   = fs.String("title", "", "the new file's title (required)")
	)
	c.register(fs)
	items.register(fs)
	timeout.register(fs)
	set, done, err := parse(fs, args, createHelp, stdout)
	if done || err != nil {
		return report(stderr, "create", err)
	}
	if !set["title"] {
		return report(stderr, "create", usagef("--title is required"))
	}
	item, itemFlag, err := items.item(set)
	if err != nil {
		return report(stderr, "create", err)
	}
	req := pipedrive.CreateRemoteFileRequest{FileType: pipedrive.FileType(*typ), Title: *title, Item: item}
	if err := req.Validate(); err != nil {
		return report(stderr, "create", flagError(err, itemFlag))
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "create", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	start := e.Clock.Now() // the client's clock, which FindCreated compares add_time with
	f, err := client.Files.CreateRemote(ctx, req)
	err = timeout.explain(ctx, err)
	if errors.Is(err, pipedrive.ErrOutcomeUnknown) {
		return recoverCreate(ctx, client, req, start, err, c.json, itemFlag, stdout, stderr)
	}
	if err != nil {
		return report(stderr, "create", flagError(err, itemFlag))
	}
	return printFile(stdout, stderr, c.json, "Created", "on", item, f)
}

// recoverCreate finds out, after a create whose outcome is unknown, whether the file
// was created, and says so.
func recoverCreate(ctx context.Context, client *pipedrive.Client, req pipedrive.CreateRemoteFileRequest, start time.Time, cause error, asJSON bool, itemFlag string, stdout, stderr io.Writer) int {
	listCmd := fmt.Sprintf("pipedrive-files list %s %d", itemFlag, req.Item.ID)
	f, err := client.Files.FindCreated(ctx, req, start)
	switch {
	case err == nil:
		fmt.Fprintf(stderr, "pipedrive-files create: created (confirmed after an unknown outcome: %v)\n", cause)
		return printFile(stdout, stderr, asJSON, "Created", "on", req.Item, f)
	case errors.Is(err, pipedrive.ErrNotCreated): // no such file, not a failed list
		// The lookup settled the outcome: not created, so not exitUnknown.
		report(stderr, "create", cause, "Looked at the item's files: no such file, so the create most likely did not take effect. Check with '"+listCmd+"' before running this again.")
		return exitAPI
	}
	return report(stderr, "create", cause, fmt.Sprintf("The file may exist: looking for it failed (%v). Check with '%s' before running this again.", err, listCmd))
}

// runLink is the link command.
func runLink(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	var (
		c        common
		items    itemFlags
		timeout  timeoutFlag
		remoteID = fs.String("remote-id", "", "the Google Drive file id")
		fileURL  = fs.String("url", "", "the file's Google Docs or Drive URL, instead of --remote-id")
		noCheck  = fs.Bool("no-check", false, "send the link without first checking whether the file is already linked")
	)
	c.register(fs)
	items.register(fs)
	timeout.register(fs)
	set, done, err := parse(fs, args, linkHelp, stdout)
	if done || err != nil {
		return report(stderr, "link", err)
	}
	switch {
	case set["remote-id"] && set["url"]:
		return report(stderr, "link", usagef("give only one of --remote-id and --url"))
	case !set["remote-id"] && !set["url"]:
		return report(stderr, "link", usagef("one of --remote-id or --url is required"))
	}
	item, itemFlag, err := items.item(set)
	if err != nil {
		return report(stderr, "link", err)
	}
	id := *remoteID
	if set["url"] {
		if id, err = pipedrive.RemoteIDFromURL(*fileURL); err != nil {
			return report(stderr, "link", flagError(err, itemFlag))
		}
	}
	req := pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: item}
	if err := req.Validate(); err != nil {
		return report(stderr, "link", flagError(err, itemFlag))
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "link", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	var f *pipedrive.RemoteFile
	linked := true
	if *noCheck {
		f, err = client.Files.LinkRemote(ctx, req)
	} else {
		f, linked, err = client.Files.EnsureLinked(ctx, req)
	}
	if err != nil {
		return report(stderr, "link", timeout.explain(ctx, flagError(err, itemFlag)))
	}
	if !linked {
		if c.json { // stdout holds the JSON only
			fmt.Fprintf(stderr, "already linked: file %d\n", f.ID)
		} else if _, err := fmt.Fprintf(stdout, "already linked: file %d\n", f.ID); err != nil {
			return report(stderr, "link", fmt.Errorf("writing output: %w", err))
		} else {
			return exitOK
		}
	}
	return printFile(stdout, stderr, c.json, "Linked", "to", item, f)
}

// flagError rewrites a *pipedrive.ValidationError in terms of the flag that set the
// field; other errors pass through.
func flagError(err error, itemFlag string) error {
	var ve *pipedrive.ValidationError
	if errors.As(err, &ve) {
		reason := strings.Replace(ve.Reason, "use RemoteIDFromURL to extract the id from a URL", "pass a URL with --url instead", 1)
		return usagef("%s: %s", validationFlag(ve.Field, itemFlag), reason)
	}
	return err
}

// report prints err, if any, and returns the exit code for it: exitUsage for a
// usageError, exitInterrupted when the command's context was cancelled (by a signal),
// exitUnknown when the request may have been carried out, exitAPI otherwise. hint
// replaces the generic advice printed after an error whose outcome is unknown.
func report(stderr io.Writer, cmd string, err error, hint ...string) int {
	if err == nil {
		return exitOK
	}
	prefix := "pipedrive-files " + cmd + ": "
	var (
		ue     *usageError
		apiErr *pipedrive.APIError
		rlErr  *pipedrive.RateLimitError
	)
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s%s\nRun 'pipedrive-files %s -h' for usage.\n", prefix, ue.msg, cmd)
		return exitUsage
	case errors.As(err, &apiErr):
		msg := apiErr.Message
		if msg == "" {
			msg = "(no error message in the response)"
		}
		fmt.Fprintf(stderr, "%sPipedrive answered %d %s to %s: %s\n", prefix, apiErr.StatusCode, http.StatusText(apiErr.StatusCode), apiErr.Operation, msg)
		if errors.As(err, &rlErr) && rlErr.RetryAfter > 0 {
			fmt.Fprintf(stderr, "Rate limited: try again in %s.\n", rlErr.RetryAfter)
		}
	default:
		fmt.Fprintf(stderr, "%s%v\n", prefix, err)
	}
	unknown := errors.Is(err, pipedrive.ErrOutcomeUnknown)
	switch {
	case len(hint) > 0:
		fmt.Fprintln(stderr, strings.Join(hint, "\n"))
	case unknown:
		fmt.Fprintln(stderr, "The file may have been created or linked anyway: check the item's files (pipedrive-files list) before running this again.")
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "Interrupted.")
		return exitInterrupted
	case unknown:
		return exitUnknown
	}
	return exitAPI
}
