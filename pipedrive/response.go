package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// maxBodyBytes caps how much of a response is read: a CDN or proxy may answer with
// anything, a remote-file response is about 1 KiB and a page of 100 files about 100 KiB.
const maxBodyBytes = 1 << 20

// maxErrorBody caps the body kept in an APIError.
const maxErrorBody = 64 << 10

// envelope is Pipedrive's success envelope with data left undecoded: one file for the
// POSTs, a list (or null) for the GETs.
type envelope struct {
	Success        bool            `json:"success"`
	Data           json.RawMessage `json:"data"`
	AdditionalData struct {
		Pagination gen.Pagination `json:"pagination"`
	} `json:"additional_data"`
}

// file decodes data as one file, which a create or link answer must carry.
func (e envelope) file() (*RemoteFile, error) {
	if isNull(e.Data) {
		return nil, errors.New(`"data" is null`)
	}
	return decodeFile(e.Data)
}

// page is one page of an item's files.
type page struct {
	files []*RemoteFile
	more  bool // more_items_in_collection
	next  int  // next_start
}

// page decodes data as a list of files; null is an empty list.
func (e envelope) page() (page, error) {
	p := page{more: e.AdditionalData.Pagination.MoreItemsInCollection, next: e.AdditionalData.Pagination.NextStart}
	if isNull(e.Data) {
		return p, nil
	}
	var raws []json.RawMessage
	if json.Unmarshal(e.Data, &raws) != nil {
		return p, errors.New(`"data" is not a list`)
	}
	p.files = make([]*RemoteFile, 0, len(raws))
	for _, raw := range raws {
		f, err := decodeFile(raw)
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

// result turns a response into what decode makes of its envelope, or into an error with
// every secret removed.
func result[T any](c *Client, op operation, resp *http.Response, decode func(envelope) (T, error)) (_ T, resErr error) {
	var zero T
	defer func() { resErr = c.transport.redact.error(resErr) }()
	defer resp.Body.Close()
	// A body within the cap is read to EOF so the connection can be reused; a longer one
	// is cut, and closing it drops the connection rather than download the rest.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if err != nil && ok {
		err = fmt.Errorf("reading the response: %w", err)
		if sentIdempotent(resp) {
			return zero, errorf(op, "%w", err)
		}
		return zero, errorf(op, "%w", withSentinel(ErrOutcomeUnknown, err))
	}
	if !ok {
		return zero, c.apiError(op, resp, body, "")
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return zero, c.apiError(op, resp, body, "unexpected response: "+jsonProblem(err))
	}
	if !env.Success {
		return zero, c.apiError(op, resp, body, `unexpected response: "success" is not true`)
	}
	v, err := decode(env)
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
		read:       sentIdempotent(resp),
	}
	if len(body) > 0 {
		// Redact before cutting, so no part of a secret straddles the cut.
		e.Body = []byte(c.transport.redact.cut(string(body), maxErrorBody))
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		var eb gen.ErrorResponse
		if json.Unmarshal(trimmed, &eb) == nil {
			e.Message = c.transport.redact.String(eb.Error)
			e.Info = c.transport.redact.String(eb.ErrorInfo)
			e.Code = c.transport.redact.String(eb.Code)
			e.refused = eb.Success != nil && !*eb.Success
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
			wait = c.transport.pacer.dailyHold(wait)
		}
		return &RateLimitError{APIError: e, RetryAfter: wait, Daily: daily}
	}
	return e
}

// jsonProblem describes a decoding failure without echoing the body.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "field " + quote(typeErr.Field) + " has JSON type " + typeErr.Value + ", want " + typeErr.Type.String()
	}
	return "not a JSON object: " + err.Error()
}
