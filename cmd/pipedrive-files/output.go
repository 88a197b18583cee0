package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// writeJSON writes v as the command's JSON output: indented by two spaces, one value
// followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printFile writes the file for a person (verb "Created"/"Linked") or, with asJSON, as
// the RemoteFile in JSON.
func printFile(stdout, stderr io.Writer, asJSON bool, verb, prep string, item pipedrive.Item, f *pipedrive.RemoteFile) int {
	if asJSON {
		if err := writeJSON(stdout, f); err != nil {
			fmt.Fprintf(stderr, "pipedrive-files: writing JSON: %v\n", err)
			return exitAPI
		}
		return exitOK
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q (file %d) %s %s.\n", verb, fileKind(f.FileType), f.Name, f.ID, prep, describeItem(item, f))
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-15s %s\n", label, value)
		}
	}
	row("Drive id", f.RemoteID)
	row("Open", openURL(f.FileType, f.RemoteID))
	row("Download", f.URL)
	row("Also linked to", strings.Join(related(item, f), ", "))
	if !f.AddTime.IsZero() {
		row("Added", f.AddTime.Format("2006-01-02 15:04:05 MST"))
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintf(stderr, "pipedrive-files: writing output: %v\n", err)
		return exitAPI
	}
	return exitOK
}

// fileKind names a file type for people.
func fileKind(t pipedrive.FileType) string {
	switch t {
	case pipedrive.GoogleDoc:
		return "Google Doc"
	case pipedrive.GoogleSheet:
		return "Google Sheet"
	case pipedrive.GoogleSlides:
		return "Google Slides"
	case pipedrive.GoogleForm:
		return "Google Form"
	case pipedrive.GoogleDrawing:
		return "Google Drawing"
	}
	return "Google file"
}

// openURL is where the file opens in Google, or "" without an id.
func openURL(t pipedrive.FileType, id string) string {
	if id == "" {
		return ""
	}
	kind := map[pipedrive.FileType]string{
		pipedrive.GoogleDoc: "document", pipedrive.GoogleSheet: "spreadsheets", pipedrive.GoogleSlides: "presentation",
		pipedrive.GoogleForm: "forms", pipedrive.GoogleDrawing: "drawings",
	}[t]
	if kind == "" {
		return "https://drive.google.com/file/d/" + id + "/view"
	}
	return "https://docs.google.com/" + kind + "/d/" + id + "/edit"
}

// describeItem names the item the file was linked to, with its name when Pipedrive sent it.
func describeItem(item pipedrive.Item, f *pipedrive.RemoteFile) string {
	label, name := string(item.Type), ""
	switch item.Type {
	case pipedrive.ItemDeal:
		name = f.DealName
	case pipedrive.ItemPerson:
		name = f.PersonName
	case pipedrive.ItemOrganization:
		name = f.OrgName
	}
	s := fmt.Sprintf("%s %d", label, item.ID)
	if name != "" {
		s += fmt.Sprintf(" %q", name)
	}
	return s
}

// related lists the other items Pipedrive attached the file to (a deal's person and
// organization, say).
func related(item pipedrive.Item, f *pipedrive.RemoteFile) []string {
	var out []string
	add := func(t pipedrive.ItemType, id int64, name string) {
		if id == 0 || (t == item.Type && id == item.ID) {
			return
		}
		s := fmt.Sprintf("%s %d", t, id)
		if name != "" {
			s += fmt.Sprintf(" %q", name)
		}
		out = append(out, s)
	}
	add(pipedrive.ItemDeal, f.DealID, f.DealName)
	add(pipedrive.ItemPerson, f.PersonID, f.PersonName)
	add(pipedrive.ItemOrganization, f.OrgID, f.OrgName)
	return out
}
