package pipedrive

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A server or proxy that echoes a token may escape any of its characters: JSON's \u0039
// (PHP's json_encode escapes "/" as \/), an HTML character reference (&#57; or &#x39;),
// a URL percent-escape (%39) of a character that needs none. A fixed list of forms cannot
// foresee every mix, so the redactor also undoes these escapes in a view of the text,
// looks for the secrets there, and replaces the escaped text each one came from.

// escapeKinds selects the escapes a view undoes.
type escapeKinds uint8

const (
	jsonEscapes    escapeKinds = 1 << iota // \uXXXX (surrogate pairs too), \/ \" \\ \b \f \n \r \t
	htmlReferences                         // &#NN; &#xHH; &amp; &lt; &gt; &quot; &apos;
	percentEscapes                         // %HH
)

// escapeViews are the views looked at, in turn: undoing every kind at once finds a token
// escaped with a mix of them, and undoing one kind alone finds one that the others would
// have misread (a "%" just before a \u-escaped token would swallow its first two digits).
var escapeViews = []escapeKinds{jsonEscapes | htmlReferences | percentEscapes, jsonEscapes, htmlReferences, percentEscapes}

// replaceEscaped replaces by redactedMark the text of every escaped spelling, in s, of
// one of forms. A text without a backslash, "&" or "%" has no escape and is returned as it
// is, at no cost.
func replaceEscaped(s string, forms []string) string {
	if len(forms) == 0 || !strings.ContainsAny(s, `\&%`) {
		return s
	}
	for _, kinds := range escapeViews {
		s = replaceInView(s, kinds, forms)
	}
	return s
}

// replaceInView undoes the escapes of kinds in s, finds forms in the result, and replaces
// the parts of s they came from.
func replaceInView(s string, kinds escapeKinds, forms []string) string {
	view, from := unescapeView(s, kinds)
	if view == s {
		return s // nothing undone: the plain replacement has seen this text already
	}
	var cuts [][2]int // spans of s to replace, as found
	for _, f := range forms {
		for i := 0; f != ""; {
			j := strings.Index(view[i:], f)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(f)
			cuts = append(cuts, [2]int{from[start], from[end]})
			i = end
		}
	}
	if len(cuts) == 0 {
		return s
	}
	// Merge the spans, sorted by start, and replace each merged one once.
	slices.SortFunc(cuts, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	var b strings.Builder
	last := 0
	for i := 0; i < len(cuts); {
		start, end := cuts[i][0], cuts[i][1]
		for i++; i < len(cuts) && cuts[i][0] <= end; i++ {
			end = max(end, cuts[i][1])
		}
		b.WriteString(s[last:start])
		b.WriteString(redactedMark)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// unescapeView returns s with the escapes of kinds undone, and for each byte offset of
// the view (and its end) the offset in s where the character there begins; a character
// that came from an escape maps to the escape's start, and the byte after it to the
// escape's end, so a match in the view covers whole escapes in s.
func unescapeView(s string, kinds escapeKinds) (string, []int) {
	var b strings.Builder
	b.Grow(len(s))
	from := make([]int, 0, len(s)+1)
	emit := func(text string, start int) {
		b.WriteString(text)
		for range len(text) {
			from = append(from, start)
		}
	}
	for i := 0; i < len(s); {
		text, n := unescapeAt(s, i, kinds)
		if n == 0 {
			text, n = s[i:i+1], 1
		}
		emit(text, i)
		i += n
	}
	from = append(from, len(s))
	return b.String(), from
}

// unescapeAt undoes the escape of kinds that starts at s[i], returning its text and
// length in s; n is 0 when none starts there.
func unescapeAt(s string, i int, kinds escapeKinds) (text string, n int) {
	switch s[i] {
	case '\\':
		if kinds&jsonEscapes != 0 {
			return jsonEscapeAt(s[i:])
		}
	case '&':
		if kinds&htmlReferences != 0 {
			return htmlReferenceAt(s[i:])
		}
	case '%':
		if kinds&percentEscapes != 0 && len(s) >= i+3 {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				return string([]byte{byte(v)}), 3
			}
		}
	}
	return "", 0
}

// jsonEscapeAt undoes the JSON escape at the start of s.
func jsonEscapeAt(s string) (string, int) {
	if len(s) < 2 {
		return "", 0
	}
	switch s[1] {
	case '"', '\\', '/':
		return s[1:2], 2
	case 'b':
		return "\b", 2
	case 'f':
		return "\f", 2
	case 'n':
		return "\n", 2
	case 'r':
		return "\r", 2
	case 't':
		return "\t", 2
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return "", 0
		}
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2, ok := hex4(s[8:]); ok {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						return string(pair), 12
					}
				}
			}
			return string(utf8.RuneError), 6
		}
		return string(r), 6
	}
	return "", 0
}

// hex4 reads the four hex digits at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:4], 16, 16)
	return rune(v), err == nil
}

// htmlNamed are the named character references a page may escape a token's characters
// with.
var htmlNamed = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'"}

// htmlReferenceAt undoes the HTML character reference at the start of s: &#NN;, &#xHH;
// or one of htmlNamed.
func htmlReferenceAt(s string) (string, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return "", 0
	}
	ref := s[1:end]
	if named, ok := htmlNamed[ref]; ok {
		return named, end + 1
	}
	if ref[0] != '#' || len(ref) < 2 {
		return "", 0
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil || digits == "" || !utf8.ValidRune(rune(v)) {
		return "", 0
	}
	return string(rune(v)), end + 1
}
