package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// maxBodyBytes caps how much of a response is read: a CDN or proxy may answer with
// anything, and a remote-file response is about 1 KiB.
const maxBodyBytes = 1 << 20

// maxErrorBody caps the body kept in an APIError.
const maxErrorBody = 64 << 10

// maxPooledBody is the largest response buffer kept for the next call: a success is about
// 1 KiB, and keeping a CDN's large error page would pin its memory.
const maxPooledBody = 64 << 10

// result turns what the generated client returned into a RemoteFile or an error.
func (c *Client) result(op string, resp *http.Response, err error) (*RemoteFile, error) {
	if err != nil {
		return nil, errorf(op, "%w", err)
	}
	defer resp.Body.Close()
	// body is reused by a later call once result returns: everything kept from it (the
	// decoded strings, APIError.Body) must be a copy.
	bp := c.bodyBuffer()
	body, err := readBody(resp, *bp)
	defer c.releaseBody(bp, body)
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if err != nil && ok {
		return nil, errorf(op, "%w: reading the response: %w", ErrOutcomeUnknown, c.transport.redact.sanitize(err))
	}
	if !ok {
		return nil, c.apiError(op, resp, body, "")
	}
	var env gen.RemoteFileResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, c.apiError(op, resp, body, "unexpected response: "+jsonProblem(err))
	}
	if !env.Success {
		return nil, c.apiError(op, resp, body, `unexpected response: "success" is not true`)
	}
	if env.Data == nil {
		return nil, c.apiError(op, resp, body, `unexpected response: "data" is null`)
	}
	f, err := newRemoteFile(env.Data)
	if err != nil {
		return nil, c.apiError(op, resp, body, "unexpected response: "+err.Error())
	}
	return f, nil
}

// readBody reads at most maxBodyBytes into buf's storage, growing it as needed. A body
// within the cap is read to EOF so the connection can be reused; a longer one is cut, and
// closing it drops the connection rather than download the rest.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if resp.ContentLength >= 0 && resp.ContentLength <= maxBodyBytes {
		n := int(resp.ContentLength)
		// One spare byte to reach EOF (or find more than announced) with no other buffer.
		buf = slices.Grow(buf[:0], n+1)[:n+1]
		if m, err := io.ReadFull(resp.Body, buf[:n]); err != nil {
			return buf[:m], err // what arrived, not a previous response's bytes
		}
		// Reach EOF so the transport may reuse the connection.
		if m, _ := resp.Body.Read(buf[n:]); m > 0 {
			return buf[:n], errors.New("response longer than its Content-Length")
		}
		return buf[:n], nil
	}
	// Unknown length: what io.ReadAll(io.LimitReader(body, maxBodyBytes)) does.
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(512, len(buf)))
		}
		m, err := resp.Body.Read(buf[len(buf):min(cap(buf), maxBodyBytes)])
		buf = buf[:len(buf)+m]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == maxBodyBytes:
			return buf, nil
		}
	}
}

// bodyBuffer returns a response buffer from the client's pool (per client, so no state is
// shared between clients).
func (c *Client) bodyBuffer() *[]byte {
	if bp, ok := c.bodies.Get().(*[]byte); ok {
		return bp
	}
	return new([]byte)
}

// releaseBody returns body's storage to the pool unless it is too large to keep.
func (c *Client) releaseBody(bp *[]byte, body []byte) {
	if cap(body) <= maxPooledBody {
		*bp = body[:0]
		c.bodies.Put(bp)
	}
}

// apiError builds the error for a response that is not a success. problem describes what
// is wrong with a 2xx body; for other statuses the message comes from Pipedrive's body.
func (c *Client) apiError(op string, resp *http.Response, body []byte, problem string) error {
	e := &APIError{
		Operation:  op,
		StatusCode: resp.StatusCode,
		RateLimit:  parseRateLimit(resp.Header),
	}
	if len(body) > 0 {
		kept := body[:min(len(body), maxErrorBody)]
		e.Body = []byte(c.transport.redact.String(string(kept)))
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
		e.Message = problem
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		wait, _ := retryAfter(resp.Header, c.transport.clock.Now())
		return &RateLimitError{APIError: e, RetryAfter: wait}
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
