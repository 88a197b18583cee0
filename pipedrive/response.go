package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// maxBodyBytes caps how much of a response is read: a CDN or proxy may answer with
// anything, a remote-file response is about 1 KiB and a page of 100 files about 100 KiB.
const maxBodyBytes = 1 << 20

// maxErrorBody caps the body kept in an APIError.
const maxErrorBody = 64 << 10

// envelope is Pipedrive's success envelope. Its data is D: one file for the POSTs, GET
// and PUT of one file, a list of files (or null) for the lists. A file is a *wireFile,
// whose fields are lenient, or in the plain reading a *plainFile (see reader). Files are
// pointers in both, so that a null given after a file (the same key twice) replaces it
// alike.
type envelope[D any] struct {
	Success        bool `json:"success"`
	Data           D    `json:"data"`
	AdditionalData struct {
		Pagination gen.Pagination `json:"pagination"`
	} `json:"additional_data"`
}

// reader is how an operation reads a successful answer. plain reads the common answer
// once with encoding/json into plain types (plainFile); it is false for an answer it
// cannot read so, or that is not a success with the data wanted, and nil for an operation
// without a plain reading. lenient then reads an envelope[D], decoded in one pass with
// every file's fields lenient (see wireFile), so that only a data of the wrong kind, or a
// body that is not JSON, fails the decoding; it says what is wrong with the answer.
// Whenever plain reads an answer, lenient gives the same (FuzzDecodePaths checks it).
type reader[D, T any] struct {
	plain   func(body []byte) (T, bool)
	lenient func(envelope[D]) (T, error)
}

// plainEnvelope decodes body with plain types; ok is false when that fails or the
// answer is not a success.
func plainEnvelope[P any](body []byte) (envelope[P], bool) {
	var e envelope[P]
	ok := json.Unmarshal(body, &e) == nil && e.Success
	return e, ok
}

// plainFileEnvelope is what plainFileData decodes into. They are pooled (the file is
// copied out), which saves two allocations and about 460 bytes a call.
type plainFileEnvelope struct {
	env  envelope[*plainFile]
	file plainFile
}

var plainFileEnvelopes = sync.Pool{New: func() any { return new(plainFileEnvelope) }}

// fileAnswer reads the one file that a create or link answer must carry.
var fileAnswer = reader[*wireFile, *File]{plain: plainFileData, lenient: fileData}

// plainFileData is fileData's plain reading.
func plainFileData(body []byte) (*File, bool) {
	pe := plainFileEnvelopes.Get().(*plainFileEnvelope)
	defer func() {
		*pe = plainFileEnvelope{} // keeps no strings of the answer alive
		plainFileEnvelopes.Put(pe)
	}()
	// Data points at a zero file, as the one encoding/json would make: a null data, or
	// one given twice, is decoded as it would be into a nil pointer.
	pe.env.Data = &pe.file
	if json.Unmarshal(body, &pe.env) != nil || !pe.env.Success {
		return nil, false
	}
	return pe.env.Data.remoteFile()
}

// fileData is the one file that a create or link answer must carry.
func fileData(e envelope[*wireFile]) (*File, error) {
	if e.Data == nil {
		return nil, errors.New(`"data" is null`)
	}
	return e.Data.remoteFile()
}

// fileAnswerFor reads an answer about the file with the given id (GET or PUT
// /files/{id}): a file with another id is not the one asked about.
func fileAnswerFor(id int64) reader[*wireFile, *File] {
	return reader[*wireFile, *File]{
		plain: func(body []byte) (*File, bool) {
			f, ok := plainFileData(body)
			return f, ok && f.ID == id
		},
		lenient: func(e envelope[*wireFile]) (*File, error) {
			f, err := fileData(e)
			if err == nil && f.ID != id {
				return nil, fmt.Errorf(`"data.id" is %d, not the file asked about (%d)`, f.ID, id)
			}
			return f, err
		},
	}
}

// deletedAnswer checks a DELETE answer's data, {"id": N}: it may be missing or null, but
// an id other than the file asked about is an error. It has no plain reading.
func deletedAnswer(id int64) reader[*struct{ ID json.RawMessage }, struct{}] {
	return reader[*struct{ ID json.RawMessage }, struct{}]{
		lenient: func(e envelope[*struct{ ID json.RawMessage }]) (struct{}, error) {
			if e.Data != nil && !isNull(e.Data.ID) && jsonInt(e.Data.ID) != id {
				return struct{}{}, fmt.Errorf(`"data.id" is %s, not the file asked about (%d)`, describeJSON(e.Data.ID), id)
			}
			return struct{}{}, nil
		},
	}
}

// page is one page of a list of files.
type page struct {
	files []*File
	more  bool // more_items_in_collection
	next  int  // next_start
}

// newPage is an empty page with room for n files.
func newPage(pg gen.Pagination, n int) page {
	return page{files: make([]*File, 0, n), more: pg.MoreItemsInCollection, next: pg.NextStart}
}

// pageAnswer reads a list answer's page of files; a null data is an empty page.
var pageAnswer = reader[[]*wireFile, page]{plain: plainPageData, lenient: pageData}

// plainPageData is pageData's plain reading.
func plainPageData(body []byte) (page, bool) {
	e, ok := plainEnvelope[[]*plainFile](body)
	if !ok {
		return page{}, false
	}
	p := newPage(e.AdditionalData.Pagination, len(e.Data))
	for _, pf := range e.Data {
		f, ok := pf.remoteFile()
		if !ok {
			return page{}, false
		}
		p.files = append(p.files, f)
	}
	return p, true
}

// pageData is a list answer's page of files; a null data is an empty page.
func pageData(e envelope[[]*wireFile]) (page, error) {
	p := newPage(e.AdditionalData.Pagination, len(e.Data))
	for _, w := range e.Data {
		if w == nil {
			return p, errors.New(`"data" holds a null instead of a file`)
		}
		f, err := w.remoteFile()
		if err != nil {
			return p, err
		}
		p.files = append(p.files, f)
	}
	return p, nil
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// bodyBuffers holds the buffers that answers are read into, so that a call reuses one
// rather than growing a new one. Nothing kept from a body refers to its buffer: decoding
// and the error texts copy what they keep.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer put back in bodyBuffers, so that a rare large
// body (an error page, a long list) is not kept alive by the pool.
const maxPooledBuffer = 64 << 10

// result turns a response into what r reads from it, or into an error with every secret
// removed.
func result[D, T any](c *Client, op operation, resp *http.Response, r reader[D, T]) (_ T, resErr error) {
	var zero T
	defer func() { resErr = c.transport.redact.error(resErr) }()
	defer resp.Body.Close()
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	// A body within the cap is read to EOF so the connection can be reused; a longer one
	// is cut, and closing it drops the connection rather than download the rest.
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes))
	body := buf.Bytes()
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if err != nil && ok {
		err = fmt.Errorf("reading the response: %w", err)
		if sentSafe(resp) {
			return zero, errorf(op, "%w", err)
		}
		return zero, errorf(op, "%w", withSentinel(ErrOutcomeUnknown, err))
	}
	if !ok {
		return zero, c.apiError(op, resp, body, "")
	}
	if r.plain != nil {
		if v, ok := r.plain(body); ok {
			return v, nil
		}
	}
	var env envelope[D]
	if err := json.Unmarshal(body, &env); err != nil {
		return zero, c.apiError(op, resp, body, "unexpected response: "+jsonProblem(err))
	}
	if !env.Success {
		return zero, c.apiError(op, resp, body, `unexpected response: "success" is not true`)
	}
	v, err := r.lenient(env)
	if err != nil {
		return zero, c.apiError(op, resp, body, "unexpected response: "+err.Error())
	}
	return v, nil
}

// apiError builds the error for a response that is not a success. problem describes what
// is wrong with a 2xx body; for other statuses the message comes from Pipedrive's body.
func (c *Client) apiError(op operation, resp *http.Response, body []byte, problem string) error {
	e := &APIError{
		Operation:  string(op),
		StatusCode: resp.StatusCode,
		RateLimit:  parseRateLimit(resp.Header),
		read:       sentSafe(resp),
	}
	if len(body) > 0 {
		// Redact before cutting, so no part of a secret straddles the cut.
		e.Body = []byte(c.transport.redact.cut(string(body), maxErrorBody))
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		var eb wireError
		if json.Unmarshal(trimmed, &eb) == nil {
			e.Message = c.transport.redact.String(string(eb.Error))
			e.Info = c.transport.redact.String(string(eb.ErrorInfo))
			e.Code = c.transport.redact.String(string(eb.Code))
			e.ErrorCode = int(eb.ErrorCode)
			e.refused = string(bytes.TrimSpace(eb.Success)) == "false"
		}
	}
	if e.Message == "" {
		e.Message = c.transport.redact.String(problem)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		daily := e.RateLimit.dailySpent()
		wait, _ := retryAfter(resp.Header, c.transport.clock.Now())
		if daily { // the pacer holds calls that long: the longer of Retry-After and MaxWait
			wait, _ = retryAfterHeader(resp.Header, c.transport.clock.Now())
			wait = c.transport.pacer.dailyHold(wait, c.transport.clock.Now())
		}
		return &RateLimitError{APIError: e, RetryAfter: wait, Daily: daily}
	}
	return e
}

// wireError is Pipedrive's failure envelope (the spec's ErrorResponse), read leniently: a
// field of an unexpected type is left empty rather than losing the others.
type wireError struct {
	Success   json.RawMessage `json:"success"`
	Error     lenientString   `json:"error"`
	ErrorInfo lenientString   `json:"error_info"`
	Code      lenientString   `json:"code"`
	ErrorCode lenientInt      `json:"errorCode"`
}

// jsonProblem describes a decoding failure without echoing the body.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "field " + quote(typeErr.Field) + " has JSON type " + typeErr.Value + ", want " + jsonKind(typeErr.Type)
	}
	return "not a JSON object: " + err.Error()
}

// jsonKind names the JSON value a Go type is decoded from, for an error: "an object"
// rather than the name of an unexported type.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	}
	return "a number"
}
