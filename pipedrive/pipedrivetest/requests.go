package pipedrivetest

import (
	"net/http"
	"net/url"
	"slices"
)

// Redacted replaces the token wherever Requests shows a credential.
const Redacted = "[REDACTED]"

// Request is one request the server received, as Requests lists it.
type Request struct {
	Method string
	// Path is the URL path, e.g. "/api/v1/files/remote".
	Path string
	// Query is the URL query, with api_token's value replaced by Redacted.
	Query url.Values
	// Header holds the request headers, with the values of x-api-token and Authorization
	// replaced by Redacted ("Bearer [REDACTED]" for a bearer token).
	Header http.Header
	// Form is the body's fields, decoded from application/x-www-form-urlencoded,
	// application/json or multipart/form-data; nil for another content type or a body
	// that does not decode.
	Form url.Values
	// Body is the body exactly as sent.
	Body string
	// Status is the status the server answered.
	Status int
	// Response is the body the server answered.
	Response string
}

// Requests returns the requests received so far, oldest first (only the last n with
// WithRequestHistory(n)). A request is listed before its response is written, so once a
// call returns its request is here.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// record stores what was received and answered, with credentials redacted, and returns
// a copy of the record.
func (s *Server) record(r *http.Request, body []byte, rep reply) Request {
	rec := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Query:    r.URL.Query(),
		Header:   r.Header.Clone(),
		Body:     string(body),
		Status:   rep.status,
		Response: string(rep.body),
	}
	if rec.Query.Has("api_token") {
		rec.Query["api_token"] = []string{Redacted}
	}
	if rec.Header.Get("X-Api-Token") != "" {
		rec.Header["X-Api-Token"] = []string{Redacted}
	}
	if auth := rec.Header.Values("Authorization"); len(auth) > 0 {
		if _, ok := bearerToken(auth[0]); ok {
			rec.Header["Authorization"] = []string{"Bearer " + Redacted}
		} else {
			rec.Header["Authorization"] = []string{Redacted}
		}
	}
	rec.Form = requestForm(r.Header.Get("Content-Type"), body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	if s.history >= 0 && len(s.requests) > s.history {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)-s.history)
	}
	return rec.clone()
}

// clone copies the maps so that a caller cannot change the server's record.
func (r Request) clone() Request {
	r.Query = cloneValues(r.Query)
	r.Header = r.Header.Clone()
	r.Form = cloneValues(r.Form)
	return r
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	return url.Values(http.Header(v).Clone())
}
