package pipedrive

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors to test with errors.Is. An *APIError matches the one for its status.
var (
	// ErrInvalidRequest matches every *ValidationError: the request was not sent.
	ErrInvalidRequest = errors.New("pipedrive: invalid request")
	// ErrUnauthorized matches a 401: the token is missing, wrong or revoked.
	ErrUnauthorized = errors.New("pipedrive: unauthorized")
	// ErrPaymentRequired matches a 402: the company account is not open.
	ErrPaymentRequired = errors.New("pipedrive: payment required")
	// ErrForbidden matches a 403: missing OAuth scope, a plan limit, or the CDN's block
	// after repeated 429s.
	ErrForbidden = errors.New("pipedrive: forbidden")
	// ErrNotFound matches a 404: the item, the remote file or the file does not exist (a
	// file is gone for good 30 days after it was deleted).
	ErrNotFound = errors.New("pipedrive: not found")
	// ErrRateLimited matches a 429, which is always a *RateLimitError.
	ErrRateLimited = errors.New("pipedrive: rate limited")
	// ErrServer matches any 5xx answer.
	ErrServer = errors.New("pipedrive: server error")
	// ErrOutcomeUnknown matches failures after which Pipedrive may have carried the
	// request out anyway: a 5xx, a 3xx (redirects are not followed; a 303 after a POST
	// usually means the server acted), a status outside 100-599, a timeout or broken
	// connection once the request was sent, or a 2xx whose envelope could not be read.
	// A create or link (a POST) is never sent again automatically after one:
	// FilesService.EnsureLinked and FilesService.FindCreated find out what happened. An
	// Update or Delete is idempotent: it was retried already, and calling it again is
	// safe. A GET changes nothing, so its failures never match it.
	ErrOutcomeUnknown = errors.New("pipedrive: outcome unknown, the request may have been carried out")
	// ErrNotCreated matches FilesService.FindCreated finding no matching file after
	// listing the item in full: the create most likely did not take effect and may be
	// sent again. It never matches a failed list: a 404 there (the item is gone) is an
	// *APIError matching ErrNotFound, not ErrNotCreated.
	ErrNotCreated = errors.New("pipedrive: FindCreated found no matching file: the create most likely did not take effect and may be sent again")
)

// ValidationError reports a request that breaks a rule; it is returned before anything is
// sent and matches ErrInvalidRequest.
type ValidationError struct {
	Field  string // the request field, e.g. "Title" or "Item.ID"
	Reason string // the rule it breaks
}

// Error names the field and the rule, e.g. "pipedrive: invalid request: Title: must
// contain a non-space character".
func (e *ValidationError) Error() string {
	return "pipedrive: invalid request: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidRequest) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

// APIError is a failed call that Pipedrive (or a proxy in front of it) answered: any
// non-2xx status, or a 2xx whose body is not a successful Pipedrive response.
type APIError struct {
	// Operation is the call, e.g. "POST /files/remote".
	Operation string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is Pipedrive's "error" text, empty when the body had none (e.g. HTML).
	Message string
	// Info is Pipedrive's "error_info" text.
	Info string
	// Code is Pipedrive's "code" string, sent with some 403s.
	Code string
	// ErrorCode is Pipedrive's integer "errorCode" (usually the HTTP status again), 0 when
	// the body had none.
	ErrorCode int
	// Body holds the first bytes of the response body (at most 64 KiB), with the token
	// replaced by [REDACTED] however it was spelled: as it is, URL- or JSON-escaped, or
	// with any of its characters written as a JSON \u escape, an HTML character
	// reference or a URL percent-escape, so that neither Body nor Body decoded spells it.
	Body []byte
	// RateLimit is the rate-limit state that this response reported.
	RateLimit RateLimit

	// refused is set when a 2xx body said "success": false: Pipedrive declined, so the
	// outcome is known.
	refused bool
	// read is set for a GET, which changes nothing, so its outcome is never unknown.
	read bool
}

// Error gives the operation, the status and Pipedrive's message, or for a body that is
// not Pipedrive's JSON (an HTML page from a proxy, say) the start of that body.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("pipedrive: ")
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" ")
		b.WriteString(text)
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(snippet([]byte(e.Message), 300))
		if e.Code != "" {
			b.WriteString(" (code " + e.Code + ")")
		}
	case len(e.Body) > 0:
		b.WriteString(": unexpected response body ")
		b.WriteString(quote(snippet(e.Body, 120)))
	default:
		b.WriteString(": empty response body")
	}
	return b.String()
}

// Is matches the sentinel for the status: ErrUnauthorized, ErrPaymentRequired,
// ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer, and ErrOutcomeUnknown for a 5xx,
// a 3xx, a status below 100 or above 599, or a 2xx whose body is not a successful
// response (unless it said "success": false, which is Pipedrive declining), except after
// a read (a GET), which changes nothing.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrPaymentRequired:
		return e.StatusCode == http.StatusPaymentRequired
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrOutcomeUnknown:
		return !e.read && e.outcomeUnknown()
	}
	return false
}

// outcomeUnknown reports whether the server may have acted on the request although the
// answer is not a success.
func (e *APIError) outcomeUnknown() bool {
	switch code := e.StatusCode; {
	case code >= 200 && code <= 299:
		return !e.refused
	case code >= 300 && code <= 399, code >= 500 && code <= 599:
		return true
	case code < 100 || code > 599:
		return true
	}
	return false
}

// RateLimitError is a 429 answer. It matches ErrRateLimited, and errors.As finds the
// *APIError inside it.
//
// A call the client knows the server would refuse is not sent: it fails at once with a
// RateLimitError whose Message begins "not sent:". That happens while a spent daily
// budget's hold lasts (and while one request checks it afterwards), and when waiting for
// the rate-limit window would take, or has taken, the retry policy's MaxWait.
type RateLimitError struct {
	*APIError
	// RetryAfter is how long the server asked to wait: Retry-After, else
	// x-ratelimit-reset (at most 2s, Pipedrive's window); zero when it said neither. For
	// a spent daily budget it is how long the client holds calls: the longer of
	// Retry-After and the retry policy's MaxWait, but not past the next midnight UTC
	// unless MaxWait is longer (Retry-After alone, up to that midnight, with pacing off),
	// as x-ratelimit-reset is about the 2-second window. For a call not sent, the time
	// left of the wait that stopped it, zero when that is not known yet; when that wait
	// is longer than MaxWait, one request goes out sooner to check, once MaxWait has
	// passed since the answer that asked for it.
	RetryAfter time.Duration
	// Daily is true when the daily budget is spent (x-daily-ratelimit-token-remaining or
	// x-daily-requests-left is 0): no retry can succeed before the budget resets, so the
	// 429 is never retried, and calls fail at once without being sent while the hold
	// (RetryAfter) lasts. A short Retry-After on such a 429 does not mean a retry can
	// succeed, and sending on escalates to a 403 block, so the hold lasts at least
	// MaxWait. Once MaxWait has passed since the 429, one request checks the budget (even
	// if the hold lasts longer), and the other calls keep failing at once until it is
	// answered; a check that finds the budget still spent starts a new hold.
	Daily bool
}

// Error is the APIError's text plus the wait the server asked for, and whether the daily
// budget is spent.
func (e *RateLimitError) Error() string {
	var note []string
	if e.Daily {
		note = append(note, "daily budget spent")
	}
	if e.RetryAfter > 0 {
		note = append(note, "retry after "+e.RetryAfter.String())
	}
	text := ErrRateLimited.Error() // for a RateLimitError a caller built without an APIError
	if e.APIError != nil {
		text = e.APIError.Error()
	}
	if len(note) == 0 {
		return text
	}
	return text + " (" + strings.Join(note, ", ") + ")"
}

// Is makes errors.Is(err, ErrRateLimited) true, also without an APIError, and otherwise
// answers as the APIError does.
func (e *RateLimitError) Is(target error) bool {
	if e.APIError == nil {
		return target == ErrRateLimited
	}
	return e.APIError.Is(target)
}

// Unwrap returns the *APIError, so errors.As and errors.Is see it; nil without one.
func (e *RateLimitError) Unwrap() error {
	if e.APIError == nil {
		return nil
	}
	return e.APIError
}

// quote quotes s for an error message.
func quote(s string) string { return strconv.Quote(s) }

// snippet returns up to n runes of b with runs of whitespace collapsed, for messages
// about bodies that are not JSON (an HTML page from a CDN, say).
func snippet(b []byte, n int) string {
	if !utf8.Valid(b) {
		b = []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	fields := strings.Fields(string(b[:min(len(b), 4*n)]))
	// Unprintable runes become U+FFFD, so that quoting the snippet escapes nothing but
	// quotes and backslashes: an escape such as \x0f followed by the body's next bytes
	// could otherwise spell a secret that the body itself did not contain.
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) || r == ' ' {
			return r
		}
		return utf8.RuneError
	}, strings.Join(fields, " "))
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n]) + "..."
	}
	return s
}

// withSentinel returns err marked with sentinel for errors.Is. Its text is the
// sentinel's without the "pipedrive: " prefix, which the outermost error already has,
// followed by err's.
func withSentinel(sentinel, err error) error {
	return fmt.Errorf("%w: %w", unprefixed(sentinel), err)
}

// unprefixed wraps err so that its text loses the leading "pipedrive: ", for quoting it
// inside another error of this package, which has the prefix already.
func unprefixed(err error) error { return &unprefixedError{err: err} }

// unprefixedError is err without its prefix; see unprefixed.
type unprefixedError struct{ err error }

func (e *unprefixedError) Error() string { return strings.TrimPrefix(e.err.Error(), "pipedrive: ") }
func (e *unprefixedError) Unwrap() error { return e.err }

// errorf adds the operation to an error and wraps it.
func errorf(op operation, format string, args ...any) error {
	return fmt.Errorf("pipedrive: "+string(op)+": "+format, args...)
}
