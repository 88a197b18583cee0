package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// maxBodyBytes caps how much of a response is read: a CDN or proxy may answer with
// anything, and a remote-file response is about 1 KiB.
const maxBodyBytes = 1 << 20

// maxErrorBody caps the body kept in an APIError.
const maxErrorBody = 64 << 10

// result turns what the generated client returned into a RemoteFile or an error.
func (c *Client) result(op string, resp *http.Response, err error) (*RemoteFile, error) {
	if err != nil {
		return nil, errorf(op, "%w", err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
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

// readBody reads at most maxBodyBytes. A body within the cap is read to EOF so the
// connection can be reused; a longer one is cut, and closing it drops the connection
// rather than download the rest.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxBodyBytes {
		buf := make([]byte, n, n+1)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return buf, err
		}
		// Reach EOF so the transport may reuse the connection.
		var one [1]byte
		if m, _ := resp.Body.Read(one[:]); m > 0 {
			return buf, errors.New("response longer than its Content-Length")
		}
		return buf, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	return body, err
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
