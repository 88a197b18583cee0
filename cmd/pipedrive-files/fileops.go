package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

const filesHelp = `Usage: pipedrive-files files [--remote-id ID | --url URL] [flags]

Lists every file of the company (GET /files), uploaded and remote alike, oldest first: one
line per file with its id, name, type, Google Drive id ("-" for a file that is not in
Drive), the item it is linked to and when it was added, or with --json a JSON array.
Deleted files are left out, as Pipedrive leaves them out. With --remote-id (or --url) only
the files that link that Google Drive file are listed: how to find where a Drive file is
already linked, or its remote_id to link it to another item with 'pipedrive-files link'.
Each page of 100 files costs 20 rate-limit tokens, so a company with 10,000 files costs
2,000. Environment, exit status: see pipedrive-files help.

Flags:
`

const getHelp = `Usage: pipedrive-files get ID [flags]

Prints the file with this id (GET /files/{id}, 2 rate-limit tokens): its name, type,
Google Drive id, the items it is linked to, description and times, or with --json the file
with Pipedrive's field names. A deleted file is still found for 30 days, marked
"(deleted)". Environment, exit status: see pipedrive-files help.

Flags:
`

const updateHelp = `Usage: pipedrive-files update ID [--name NAME] [--description TEXT] [flags]

Changes the visible name, the description or both of the file with this id (PUT
/files/{id}, 10 rate-limit tokens) and prints the file as it now is. A flag not given is
left as it is; --description "" clears the description. The name must contain a visible
character. Sending the same update twice leaves the file as once does, so after an
unknown outcome (exit 3) running it again is safe. Environment, exit status: see
pipedrive-files help.

Flags:
`

const deleteHelp = `Usage: pipedrive-files delete ID [--yes] [flags]

Marks the file with this id deleted (DELETE /files/{id}, 6 rate-limit tokens): it leaves
the item's and the company's lists at once, and Pipedrive deletes it for good after 30
days. A Google Drive file stays in Drive; only its link in Pipedrive goes. On a terminal
the file is shown and you are asked to confirm; otherwise (a script, a pipe) --yes is
required, and without it nothing is deleted (exit 2). Deleting twice does no harm, so
after an unknown outcome (exit 3) running it again is safe. Environment, exit status: see
pipedrive-files help.

Flags:
`

// runFiles is the files command.
func runFiles(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("files", flag.ContinueOnError)
	var (
		c        common
		timeout  timeoutFlag
		remoteID = fs.String("remote-id", "", "list only the files that link the Google Drive file with this id")
		fileURL  = fs.String("url", "", "list only the files that link the Google Drive file at this Google Docs or Drive URL, instead of --remote-id")
	)
	c.register(fs)
	fs.Lookup("json").Usage = "print the files as a JSON array instead of text"
	timeout.register(fs)
	set, done, err := parse(fs, args, filesHelp, stdout)
	if done || err != nil {
		return report(stderr, "files", err)
	}
	id := *remoteID
	switch {
	case set["remote-id"] && set["url"]:
		return report(stderr, "files", usagef("give only one of --remote-id and --url"))
	case set["url"]:
		if id, err = pipedrive.RemoteIDFromURL(*fileURL); err != nil {
			return report(stderr, "files", flagError(err, ""))
		}
	case set["remote-id"]:
		// The item is a stand-in: only the Drive id's rule is checked.
		if err := (pipedrive.LinkRemoteFileRequest{RemoteID: id, Item: pipedrive.Deal(1)}).Validate(); err != nil {
			return report(stderr, "files", flagError(err, ""))
		}
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "files", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	files := []*pipedrive.File{} // [] rather than null in JSON
	for f, err := range client.Files.ListAll(ctx) {
		if err != nil {
			return report(stderr, "files", timeout.explain(ctx, err))
		}
		if id == "" || f.IsDriveFile() && f.RemoteID == id {
			files = append(files, f)
		}
	}
	if err := writeFiles(stdout, files, c.json); err != nil {
		fmt.Fprintf(stderr, "pipedrive-files files: writing output: %v\n", err)
		return exitAPI
	}
	return exitOK
}

// writeFiles prints one line per file of the company, in aligned columns, or the files as
// a JSON array.
func writeFiles(w io.Writer, files []*pipedrive.File, asJSON bool) error {
	if asJSON {
		return writeJSON(w, files)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range files {
		driveID := "-"
		if f.IsDriveFile() && f.RemoteID != "" {
			driveID = f.RemoteID
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", f.ID, nameOf(f), dash(string(f.FileType)), driveID, dash(linkedTo(f)), added(f))
	}
	return tw.Flush()
}

// nameOf is the file's name, marked when the file is deleted.
func nameOf(f *pipedrive.File) string {
	if !f.ActiveFlag {
		return f.Name + " (deleted)"
	}
	return f.Name
}

// added is when the file was added, or "" when Pipedrive did not say.
func added(f *pipedrive.File) string {
	if f.AddTime.IsZero() {
		return ""
	}
	return f.AddTime.Format("2006-01-02 15:04:05 MST")
}

// linkedTo names the item a file is attached to, the most specific first: a file linked
// to a deal also carries the deal's person and organization.
func linkedTo(f *pipedrive.File) string {
	switch {
	case f.DealID != 0:
		return fmt.Sprintf("deal %d", f.DealID)
	case f.PersonID != 0:
		return fmt.Sprintf("person %d", f.PersonID)
	case f.OrgID != 0:
		return fmt.Sprintf("organization %d", f.OrgID)
	case f.LeadID != "":
		return "lead " + f.LeadID
	case f.ProductID != 0:
		return fmt.Sprintf("product %d", f.ProductID)
	case f.ActivityID != 0:
		return fmt.Sprintf("activity %d", f.ActivityID)
	}
	return ""
}

// runGet is the get command.
func runGet(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	var (
		c       common
		timeout timeoutFlag
	)
	c.register(fs)
	timeout.register(fs)
	id, _, done, err := parseWithID(fs, args, getHelp, stdout)
	if done || err != nil {
		return report(stderr, "get", err)
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "get", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	f, err := client.Files.Get(ctx, id)
	if err != nil {
		return report(stderr, "get", timeout.explain(ctx, flagError(err, "")))
	}
	return printDetails(stdout, stderr, c.json, "", f)
}

// runUpdate is the update command.
func runUpdate(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	var (
		c           common
		timeout     timeoutFlag
		name        = fs.String("name", "", "the file's new visible name")
		description = fs.String("description", "", `the file's new description; "" clears it`)
	)
	c.register(fs)
	timeout.register(fs)
	id, set, done, err := parseWithID(fs, args, updateHelp, stdout)
	if done || err != nil {
		return report(stderr, "update", err)
	}
	var u pipedrive.FileUpdate
	if set["name"] {
		u.Name = name
	}
	if set["description"] {
		u.Description = description
	}
	if u.Name == nil && u.Description == nil {
		return report(stderr, "update", usagef("give --name, --description or both"))
	}
	if err := u.Validate(); err != nil {
		return report(stderr, "update", flagError(err, ""))
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "update", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	f, err := client.Files.Update(ctx, id, u)
	if err != nil {
		return report(stderr, "update", timeout.explain(ctx, flagError(err, "")),
			ifUnknown(err, "The update may have been made: sending it again is safe (the same update twice leaves the file as once does).")...)
	}
	return printDetails(stdout, stderr, c.json, "Updated", f)
}

// runDelete is the delete command.
func runDelete(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("delete", flag.ContinueOnError)
	var (
		c       common
		timeout timeoutFlag
		yes     = fs.Bool("yes", false, "delete without asking (required when stdin is not a terminal)")
	)
	c.registerConnection(fs)
	timeout.register(fs)
	id, _, done, err := parseWithID(fs, args, deleteHelp, stdout)
	if done || err != nil {
		return report(stderr, "delete", err)
	}
	ask := !*yes
	if ask && !e.stdinIsTerminal() {
		return report(stderr, "delete", usagef("stdin is not a terminal, so there is no one to confirm: add --yes to delete file %d (nothing was deleted)", id))
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "delete", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	if ask {
		f, err := client.Files.Get(ctx, id)
		if err != nil {
			return report(stderr, "delete", timeout.explain(ctx, err), "Nothing was deleted.")
		}
		if !confirm(e, f) {
			fmt.Fprintln(stderr, "Not deleted.")
			return exitOK
		}
	}
	if err := client.Files.Delete(ctx, id); err != nil {
		return report(stderr, "delete", timeout.explain(ctx, err),
			ifUnknown(err, "The file may have been deleted: sending the delete again is safe (deleting twice does no harm).")...)
	}
	if _, err := fmt.Fprintf(stdout, "Deleted file %d. Pipedrive deletes it for good after 30 days.\n", id); err != nil {
		return report(stderr, "delete", fmt.Errorf("writing output: %w", err))
	}
	return exitOK
}

// ifUnknown is hint, for report, when err leaves the outcome unknown; else none, and
// report prints no advice.
func ifUnknown(err error, hint string) []string {
	if errors.Is(err, pipedrive.ErrOutcomeUnknown) {
		return []string{hint}
	}
	return nil
}

// confirm shows f and asks on stderr whether to delete it; only "y" or "yes" (in any
// case) on stdin is yes.
func confirm(e *env, f *pipedrive.File) bool {
	what := fmt.Sprintf("file %d %q", f.ID, f.Name)
	if to := linkedTo(f); to != "" {
		what += ", linked to " + to
	}
	if !f.ActiveFlag {
		what += " (already marked deleted)"
	}
	fmt.Fprintf(e.Stderr, "Delete %s? Pipedrive deletes it for good after 30 days. [y/N] ", what)
	line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// stdinIsTerminal reports whether a person can answer a question on stdin: e.Terminal
// says, or else whether Stdin is a terminal device.
func (e *env) stdinIsTerminal() bool {
	if e.Terminal != nil {
		return e.Terminal()
	}
	f, ok := e.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseWithID parses the arguments of a command that takes one file id, before or after
// its flags: "get 7 --json" and "get --json 7" alike. The id must be a positive integer.
func parseWithID(fs *flag.FlagSet, args []string, help string, stdout io.Writer) (id int64, set map[string]bool, done bool, err error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, help)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0, nil, true, nil
		}
		return 0, nil, false, usagef("%v", err)
	}
	if fs.NArg() == 0 {
		return 0, nil, false, usagef("the file ID is required, e.g. 'pipedrive-files %s 7'", fs.Name())
	}
	raw, rest := fs.Arg(0), fs.Args()[1:]
	set, done, err = parse(fs, rest, help, stdout) // flags after the id; set has those before it too
	if done || err != nil {
		return 0, nil, done, err
	}
	id, perr := strconv.ParseInt(raw, 10, 64)
	if perr != nil || id < 1 {
		return 0, nil, false, usagef("file ID: must be a positive integer, got %q", raw)
	}
	return id, set, false, nil
}

// printDetails writes one file in full for a person, after verb ("Updated") if any, or
// with asJSON the file as JSON.
func printDetails(stdout, stderr io.Writer, asJSON bool, verb string, f *pipedrive.File) int {
	if asJSON {
		if err := writeJSON(stdout, f); err != nil {
			fmt.Fprintf(stderr, "pipedrive-files: writing JSON: %v\n", err)
			return exitAPI
		}
		return exitOK
	}
	var b strings.Builder
	title := "File"
	if verb != "" {
		title = verb + " file"
	}
	kind := "file"
	if f.IsDriveFile() {
		kind = fileKind(f.FileType)
	} else if f.FileType != "" {
		kind = string(f.FileType) + " file"
	}
	fmt.Fprintf(&b, "%s %d %q (%s)", title, f.ID, f.Name, kind)
	if !f.ActiveFlag {
		b.WriteString(" (deleted)")
	}
	b.WriteString("\n")
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-15s %s\n", label, value)
		}
	}
	if f.IsDriveFile() {
		row("Drive id", f.RemoteID)
		row("Open", openURL(f.FileType, f.RemoteID))
	} else {
		row("Location", f.RemoteLocation)
		row("Stored as", f.RemoteID)
	}
	row("File name", f.FileName)
	row("Download", f.URL)
	row("Linked to", strings.Join(related(pipedrive.Item{}, f), ", "))
	row("Description", strings.ReplaceAll(f.Description, "\n", "\n"+strings.Repeat(" ", 18)))
	row("Added", added(f))
	if !f.UpdateTime.IsZero() {
		row("Updated", f.UpdateTime.Format("2006-01-02 15:04:05 MST"))
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintf(stderr, "pipedrive-files: writing output: %v\n", err)
		return exitAPI
	}
	return exitOK
}
