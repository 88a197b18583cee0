package pipedrive

import (
	"context"
	"net/http"
)

// operation names a call as errors and log lines show it: the method and the path
// template, e.g. "POST /files/remote". It is a name only: what may be resent is decided
// by the request's method (idempotent).
type operation string

// The operations this package sends.
const (
	opCreate     operation = "POST /files/remote"
	opLink       operation = "POST /files/remoteLink"
	opListDeal   operation = "GET /deals/{id}/files"
	opListPerson operation = "GET /persons/{id}/files"
	opListOrg    operation = "GET /organizations/{id}/files"
)

// idempotent reports whether a request with method is a read (GET or HEAD): resending it
// is safe, so it is retried on a 500, 502, 503 or 504, timeouts and broken connections
// too, and its outcome is never unknown.
func idempotent(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// sentIdempotent reports whether resp answers an idempotent request; false (the safe
// default) when the response does not say which request it answers.
func sentIdempotent(resp *http.Response) bool {
	return resp.Request != nil && idempotent(resp.Request.Method)
}

// operationKey carries the operation from a FilesService method to the transport.
type operationKey struct{}

// withOperation tells the transport which operation the requests sent with ctx belong to.
func withOperation(ctx context.Context, op operation) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// operationOf is the operation ctx carries, for naming it; "" for a request sent
// without one.
func operationOf(ctx context.Context) operation {
	op, _ := ctx.Value(operationKey{}).(operation)
	return op
}
