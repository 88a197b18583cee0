package pipedrive

import (
	"net/url"
	"slices"
	"strings"
)

// RemoteIDFromURL returns the Google Drive file id in a Google URL, for
// LinkRemoteFileRequest.RemoteID. It accepts docs.google.com URLs of documents,
// spreadsheets, presentations, forms and drawings (".../document/d/ID/edit", also with
// "/u/N/" and anything after the id), drive.google.com "/file/d/ID/..." and
// "/open?id=ID". Anything else is a *ValidationError for the field "URL".
func RemoteIDFromURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", badURL("is not an http(s) URL")
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	var kinds []string
	switch strings.ToLower(u.Hostname()) {
	case "docs.google.com":
		kinds = []string{"document", "spreadsheets", "presentation", "forms", "drawings"}
	case "drive.google.com":
		if id := u.Query().Get("id"); len(skipUser(segs)) == 1 && skipUser(segs)[0] == "open" && id != "" {
			return checkID(id)
		}
		kinds = []string{"file"}
	default:
		return "", badURL("is not a docs.google.com or drive.google.com URL")
	}
	// Expect KIND [u N] d ID [...]; /u/N/ may also come first.
	segs = skipUser(segs)
	if len(segs) < 1 || !slices.Contains(kinds, segs[0]) {
		return "", badURL("does not point to a Google " + strings.Join(kinds, ", ") + " file")
	}
	segs = skipUser(segs[1:])
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

// skipUser drops a leading "u/N" account selector.
func skipUser(segs []string) []string {
	if len(segs) >= 2 && segs[0] == "u" && isDigits(segs[1]) {
		return segs[2:]
	}
	return segs
}

// checkID accepts ids made of the characters Google uses: letters, digits, '-' and '_'.
func checkID(id string) (string, error) {
	if id == "" {
		return "", badURL("has an empty file id")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", badURL("has a file id with characters other than letters, digits, '-' and '_'")
		}
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
