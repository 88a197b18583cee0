package pipedrive

import (
	"net/url"
	"slices"
	"strings"
)

// RemoteIDFromURL returns the Google Drive file id in a Google URL, for
// LinkRemoteFileRequest.RemoteID. It accepts the URLs people copy from Google's apps:
//
//   - docs.google.com/document/d/ID/edit, and likewise spreadsheets, presentation, forms
//     and drawings, with anything after the id;
//   - drive.google.com/file/d/ID/view, and the legacy docs.google.com/file/d/ID/edit;
//   - open?id=ID and the download link uc?id=ID (export=download) on either host;
//   - any of these with an account selector (/u/N/) or a Google Workspace domain
//     (/a/example.com/) in the path, and without the scheme (docs.google.com/...), as
//     browsers show URLs.
//
// Anything else is a *ValidationError for the field "URL" whose reason says what is wrong;
// a Drive folder's URL (drive/folders/ID, folderview?id=ID) is rejected as a folder,
// since only files can be linked. A folder's open?id=ID link looks exactly like a file's
// and cannot be told apart here.
func RemoteIDFromURL(raw string) (string, error) {
	u, err := parseGoogleURL(raw)
	if err != nil {
		return "", err
	}
	segs := skipPrefixes(strings.Split(strings.Trim(u.EscapedPath(), "/"), "/"))
	var kinds []string
	switch strings.ToLower(u.Hostname()) {
	case "docs.google.com":
		kinds = []string{"document", "spreadsheets", "presentation", "forms", "drawings", "file"}
	case "drive.google.com":
		if isFolder(segs) {
			return "", badURL("is a Google Drive folder; a folder cannot be linked, only the files in it")
		}
		kinds = []string{"file"}
	default:
		return "", badURL("is not a docs.google.com or drive.google.com URL")
	}
	if len(segs) == 1 && (segs[0] == "open" || segs[0] == "uc") {
		return checkID(u.Query().Get("id"))
	}
	return idAfterKind(segs, kinds)
}

// parseGoogleURL parses raw as an http(s) URL. A URL pasted without its scheme
// ("docs.google.com/document/d/ID/edit", "//drive.google.com/...") is read as https when
// it starts with a Google host, so that only those are guessed at.
func parseGoogleURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	rest := strings.TrimPrefix(raw, "//")
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	switch strings.ToLower(host) {
	case "docs.google.com", "drive.google.com":
		raw = "https://" + rest
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, badURL("is not an http(s) URL")
	}
	return u, nil
}

// idAfterKind reads KIND [u N] d ID [...], the path of an open file.
func idAfterKind(segs, kinds []string) (string, error) {
	if len(segs) < 1 || !slices.Contains(kinds, segs[0]) {
		return "", badURL("does not point to a Google Docs, Sheets, Slides, Forms, Drawings or Drive file")
	}
	segs = skipPrefixes(segs[1:])
	if len(segs) < 2 || segs[0] != "d" {
		return "", badURL("has no /d/<id>/ part")
	}
	if segs[1] == "e" && len(segs) > 2 {
		// "Publish to the web" and form-responder links (/d/e/<publish id>/pub,
		// /forms/d/e/<id>/viewform) do not carry the file's id.
		return "", badURL("is a published /d/e/ link, whose id is not the file's; use the file's edit URL")
	}
	return checkID(segs[1])
}

// skipPrefixes drops leading "u/N" account selectors and "a/DOMAIN" Google Workspace
// domains, which may come in either order.
func skipPrefixes(segs []string) []string {
	for len(segs) >= 2 {
		switch {
		case segs[0] == "u" && isDigits(segs[1]), segs[0] == "a" && segs[1] != "":
			segs = segs[2:]
		default:
			return segs
		}
	}
	return segs
}

// isFolder reports whether a drive.google.com path shows a folder: drive/folders/ID (also
// drive/u/0/folders/ID, drive/mobile/folders/ID) or the legacy folderview?id=ID.
func isFolder(segs []string) bool {
	if len(segs) == 0 {
		return false
	}
	switch segs[0] {
	case "drive":
		return slices.Contains(segs, "folders")
	case "folderview", "embeddedfolderview":
		return true
	}
	return false
}

// checkID accepts ids made of the characters Google uses: letters, digits, '-' and '_'.
func checkID(id string) (string, error) {
	if id == "" {
		return "", badURL("has an empty file id")
	}
	if strings.IndexFunc(id, func(c rune) bool { return !isDriveIDChar(c) }) >= 0 {
		return "", badURL("has a file id with characters other than letters, digits, '-' and '_'")
	}
	return id, nil
}

func badURL(reason string) error {
	return &ValidationError{Field: "URL", Reason: reason}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
