package pipedrive

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// redactedMark replaces every form of a secret in text that may reach a caller.
const redactedMark = "[REDACTED]"

// redactor removes the client's secrets from everything that may end up in an error or a
// log line: the API token, or in OAuth mode the access and refresh tokens recently used
// (they change on refresh). It knows each secret as it is and in the forms a server or
// proxy may echo it: URL-escaped for a query or a path, and JSON-escaped; and it undoes
// JSON, HTML and URL escapes of single characters to find a secret spelled with any mix
// of them (see replaceEscaped).
type redactor struct {
	cred credential
}

// forms returns every form of every current secret, longest first, so that a longer
// form is replaced before a shorter one it contains.
func (r *redactor) forms() []string {
	if r == nil || r.cred == nil {
		return nil
	}
	var forms []string
	for _, s := range r.cred.secrets() {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
		if j, err := json.Marshal(s); err == nil {
			forms = append(forms, strings.Trim(string(j), `"`))
		}
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	return slices.Compact(forms)
}

// String returns s with every form of every secret replaced by [REDACTED].
func (r *redactor) String(s string) string {
	return replaceForms(s, r.forms())
}

// replaceForms replaces each of forms in s by redactedMark, and then every escaped
// spelling of one (see replaceEscaped).
func replaceForms(s string, forms []string) string {
	for _, f := range forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redactedMark)
		}
	}
	return replaceEscaped(s, forms)
}

// cut redacts s and then keeps at most n bytes of it. The cut never ends inside a secret
// (the start of one that the server's own cut left, say) nor inside the [REDACTED] mark:
// what would be left of either is dropped too.
func (r *redactor) cut(s string, n int) string {
	forms := r.forms()
	s = replaceForms(s, forms)
	if len(s) <= n {
		return s
	}
	return trimPartial(s[:n], append(forms, redactedMark))
}

// trimPartial drops the longest tail of s that is the start of one of forms.
func trimPartial(s string, forms []string) string {
	longest := 0
	for _, f := range forms {
		for k := min(len(f)-1, len(s)); k > longest; k-- {
			if strings.HasSuffix(s, f[:k]) {
				longest = k
				break
			}
		}
	}
	return s[:len(s)-longest]
}

// error returns err with every secret removed from its text and from everything a caller
// can reach through errors.Unwrap, errors.As and the exported fields of the errors in its
// chain. An error holding no secret is returned as it is, so errors.Is and errors.As keep
// finding net errors and context errors; one that does is rebuilt around redacted copies.
// A token endpoint's *oauth2.RetrieveError is always rebuilt (see rebuildRetrieve).
func (r *redactor) error(err error) error {
	if err == nil {
		return nil
	}
	forms := r.forms()
	if !holdsSecret(err, forms) {
		return err
	}
	return rebuild(err, forms)
}

// holdsSecret reports whether any error in err's tree shows a secret in its text or in
// a field that its text may not print (a *url.Error's URL, an *APIError's Body).
func holdsSecret(err error, forms []string) bool {
	if _, ok := err.(*oauth2.RetrieveError); ok {
		return true // its Response holds the refresh request, whatever its text shows
	}
	if containsAny(err.Error(), forms) {
		return true
	}
	switch e := err.(type) {
	case *url.Error:
		if cleanURL(e.URL, forms) != e.URL {
			return true
		}
	case *APIError:
		if containsAny(e.Message+"\n"+e.Info+"\n"+e.Code+"\n"+string(e.Body), forms) {
			return true
		}
	}
	for _, c := range children(err) {
		if c != nil && holdsSecret(c, forms) {
			return true
		}
	}
	return false
}

// rebuild returns a copy of err's tree with every secret replaced; errors holding no
// secret are kept as they are.
func rebuild(err error, forms []string) error {
	if err == nil || !holdsSecret(err, forms) {
		return err
	}
	switch e := err.(type) {
	case *url.Error:
		return &url.Error{Op: e.Op, URL: cleanURL(e.URL, forms), Err: rebuild(e.Err, forms)}
	case *APIError:
		cp := *e
		cp.Message = replaceForms(e.Message, forms)
		cp.Info = replaceForms(e.Info, forms)
		cp.Code = replaceForms(e.Code, forms)
		if e.Body != nil {
			cp.Body = []byte(replaceForms(string(e.Body), forms))
		}
		return &cp
	case *RateLimitError:
		cp := *e
		if e.APIError != nil {
			cp.APIError = rebuild(e.APIError, forms).(*APIError)
		}
		return &cp
	case *oauth2.RetrieveError:
		return rebuildRetrieve(e, forms)
	}
	kids := children(err)
	cleaned := make([]error, len(kids))
	msg := err.Error()
	for i, c := range kids {
		cleaned[i] = rebuild(c, forms)
		if cleaned[i] != c {
			// The wrapper quotes its child's text: quote the rebuilt child's instead, which
			// may have dropped more than the known secrets (see rebuildRetrieve).
			msg = strings.ReplaceAll(msg, c.Error(), cleaned[i].Error())
		}
	}
	return &redactedError{msg: replaceForms(msg, forms), errs: cleaned}
}

// rebuildRetrieve returns a copy of a token endpoint's error that a caller may keep and
// print. It stays an *oauth2.RetrieveError, so a caller can still tell invalid_grant from
// the rest, but its Response keeps only the status: the original's Request is the refresh
// request, whose body (GetBody) holds the refresh token and whose header holds the client
// secret. Before any token is known (the first refresh failed) the redactor has nothing
// to look for, and the endpoint may have echoed the refresh token it was sent, so
// ErrorDescription, ErrorURI and Body, the free texts an endpoint fills, are dropped and
// only ErrorCode (invalid_grant, say) is kept; once tokens are known all four are kept,
// redacted.
func rebuildRetrieve(e *oauth2.RetrieveError, forms []string) *oauth2.RetrieveError {
	cp := &oauth2.RetrieveError{
		ErrorCode: replaceForms(e.ErrorCode, forms),
		// Never nil: RetrieveError.Error prints Response.Status when ErrorCode is empty.
		Response: &http.Response{},
	}
	if e.Response != nil {
		cp.Response.Status = replaceForms(e.Response.Status, forms)
		cp.Response.StatusCode = e.Response.StatusCode
	}
	if len(forms) > 0 {
		cp.ErrorDescription = replaceForms(e.ErrorDescription, forms)
		cp.ErrorURI = replaceForms(e.ErrorURI, forms)
		cp.Body = []byte(replaceForms(string(e.Body), forms))
	}
	return cp
}

// cleanURL drops the api_token parameter from a URL and replaces any other form of a
// secret in it (a redirect's Location may carry one in its path).
func cleanURL(raw string, forms []string) string {
	return replaceForms(stripQueryToken(raw), forms)
}

// children returns the errors err wraps, through Unwrap() error or Unwrap() []error.
func children(err error) []error {
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		if c := e.Unwrap(); c != nil {
			return []error{c}
		}
	case interface{ Unwrap() []error }:
		return e.Unwrap()
	}
	return nil
}

// containsAny reports whether s contains one of forms, plainly or escaped.
func containsAny(s string, forms []string) bool {
	for _, f := range forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return replaceEscaped(s, forms) != s
}

// stripQueryToken removes api_token from a URL string.
func stripQueryToken(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	if !q.Has("api_token") {
		return raw
	}
	q.Del("api_token")
	u.RawQuery = q.Encode()
	return u.String()
}

// redactedError stands in for an error whose text held a secret: it prints the redacted
// text and wraps redacted copies of what the original wrapped, so errors.Is and errors.As
// still find the sentinels, net errors and context errors inside.
type redactedError struct {
	msg  string
	errs []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.errs }

// Timeout reports whether a wrapped error was a timeout, as the original would have.
func (e *redactedError) Timeout() bool {
	for _, c := range e.errs {
		var t interface{ Timeout() bool }
		if errors.As(c, &t) && t.Timeout() {
			return true
		}
	}
	return false
}
