package pipedrive

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The request rules below are also the patterns of title and remote_id in
// openapi/pipedrive-remote-files.yaml; a test checks that both say the same for every
// code point.

// titleInvisible are code points that render as nothing although Unicode does not class
// them as white space or format characters: combining grapheme joiner, Hangul fillers,
// Khmer inherent vowels, Mongolian variation selectors, Braille blank, variation
// selectors, and U+FFF0-U+FFF8, which Unicode reserves as default-ignorable.
var titleInvisible = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x034f, Hi: 0x034f, Stride: 1},
		{Lo: 0x115f, Hi: 0x1160, Stride: 1},
		{Lo: 0x17b4, Hi: 0x17b5, Stride: 1},
		{Lo: 0x180b, Hi: 0x180f, Stride: 1},
		{Lo: 0x2800, Hi: 0x2800, Stride: 1},
		{Lo: 0x3164, Hi: 0x3164, Stride: 1},
		{Lo: 0xfe00, Hi: 0xfe0f, Stride: 1},
		{Lo: 0xffa0, Hi: 0xffa0, Stride: 1},
		{Lo: 0xfff0, Hi: 0xfff8, Stride: 1},
	},
}

// isControl reports the control characters a title may not hold: C0 except tab, DEL
// and C1.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f
}

// isVisible reports whether r shows as something: not white space, not a format
// character (Cf, e.g. U+200B, U+2060, U+FEFF), not one of titleInvisible, not a control.
func isVisible(r rune) bool {
	return !isControl(r) && !unicode.Is(unicode.White_Space, r) && !unicode.Is(unicode.Cf, r) &&
		!unicode.Is(titleInvisible, r)
}

// checkTitle returns why title breaks the rules, or "". Pipedrive documents no length
// limit for a file's title, so none is enforced.
func checkTitle(title string) string {
	if !utf8.ValidString(title) {
		return "must be valid UTF-8"
	}
	if i := strings.IndexFunc(title, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(title[i:])
		return fmt.Sprintf("must not contain control characters (C0 except tab, DEL, C1), found %U at byte %d", r, i)
	}
	if strings.IndexFunc(title, isVisible) < 0 {
		return "must contain a visible character (white space and invisible characters such as U+200B do not count)"
	}
	return ""
}

// checkDescription returns why a file description breaks the rules, or "": it may be
// empty (that clears it) and span lines, but must be valid UTF-8 without other control
// characters.
func checkDescription(d string) string {
	if !utf8.ValidString(d) {
		return "must be valid UTF-8"
	}
	if i := strings.IndexFunc(d, func(r rune) bool { return r != '\n' && r != '\r' && isControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(d[i:])
		return fmt.Sprintf("must not contain control characters other than tab, line feed and carriage return, found %U at byte %d", r, i)
	}
	return ""
}

// isDriveIDChar reports whether c may appear in a Google Drive file id: letters, digits,
// '-' and '_'.
func isDriveIDChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// checkRemoteID returns why id is not a Google Drive file id, or "".
func checkRemoteID(id string) string {
	if id == "" {
		return "must not be empty"
	}
	i := strings.IndexFunc(id, func(c rune) bool { return !isDriveIDChar(c) })
	if i < 0 {
		return ""
	}
	bad := id[i:]
	if r, n := utf8.DecodeRuneInString(bad); r != utf8.RuneError || n > 1 {
		bad = bad[:n]
	} else {
		bad = bad[:1]
	}
	return "must be a Google Drive file id of letters, digits, '-' and '_', not a URL or path (it contains " +
		strconv.Quote(bad) + "); use RemoteIDFromURL to extract the id from a URL"
}
