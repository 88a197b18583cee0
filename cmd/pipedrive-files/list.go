package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

const listHelp = `Usage: pipedrive-files list (--deal ID | --person ID | --org ID) [flags]

Lists every file attached to the item (GET /deals|persons|organizations/{id}/files),
uploaded and remote alike, oldest first: one line per file with its id, name, type, Google
Drive id and when it was added, or with --json a JSON array. Pipedrive leaves deleted files
out (should one appear, it is marked "(deleted)"). Each page of 100 files costs 20
rate-limit tokens.
Environment, exit status: see pipedrive-files help.

Flags:
`

// runList is the list command.
func runList(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var (
		c       common
		items   itemFlags
		timeout timeoutFlag
	)
	c.register(fs)
	fs.Lookup("json").Usage = "print the files as a JSON array instead of text"
	items.registerFor(fs, "list the files of")
	timeout.register(fs)
	set, done, err := parse(fs, args, listHelp, stdout)
	if done || err != nil {
		return report(stderr, "list", err)
	}
	item, itemFlag, err := items.item(set)
	if err != nil {
		return report(stderr, "list", err)
	}
	client, closeFake, err := connect(c, e)
	if err != nil {
		return report(stderr, "list", err)
	}
	defer closeFake()
	ctx, cancel := timeout.bound(ctx)
	defer cancel()
	files := []*pipedrive.RemoteFile{} // [] rather than null in JSON
	for f, err := range client.Files.List(ctx, item) {
		if err != nil {
			return report(stderr, "list", timeout.explain(ctx, flagError(err, itemFlag)))
		}
		files = append(files, f)
	}
	if err := writeList(stdout, files, c.json); err != nil {
		fmt.Fprintf(stderr, "pipedrive-files list: writing output: %v\n", err)
		return exitAPI
	}
	return exitOK
}

// writeList prints one line per file, in aligned columns, or the files as a JSON array.
func writeList(w io.Writer, files []*pipedrive.RemoteFile, asJSON bool) error {
	if asJSON {
		return writeJSON(w, files)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range files {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.ID, nameOf(f), dash(string(f.FileType)), dash(f.RemoteID), added(f))
	}
	return tw.Flush()
}

// dash stands in for an empty column, so that columns stay aligned for cut and awk.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
