package pipedrive

import (
	"context"
	"net/http"
)

// operation names a call as errors and log lines show it: the method and the path
// template, e.g. "POST /files/remote". It is a name only: what may be resent is decided
// by the request's method (idempotent, safe).
type operation string

// The operations this package sends.
const (
	opCreate     operation = "POST /files/remote"
	opLink       operation = "POST /files/remoteLink"
	opListDeal   operation = "GET /deals/{id}/files"
	opListPerson operation = "GET /persons/{id}/files"
	opListOrg    operation = "GET /organizations/{id}/files"
	opListAll    operation = "GET /files"
	opGet        operation = "GET /files/{id}"
	opUpdate     operation = "PUT /files/{id}"
	opDelete     operation = "DELETE /files/{id}"
)

// safe reports whether a request with method only reads (GET or HEAD): it changes
// nothing, so its outcome is never unknown.
func safe(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// idempotent reports whether sending a request with method twice leaves the server as
// sending it once does (RFC 9110, 9.2.2): the reads, PUT and DELETE. Such a request is
// retried on a 500, 502, 503 or 504, a timeout and a broken connection too, not only on a
// 429 or a connection never made. The POSTs are not idempotent.
func idempotent(method string) bool {
	return safe(method) || method == http.MethodPut || method == http.MethodDelete
}

// sentSafe reports whether resp answers a read; false (the cautious default) when the
// response does not say which request it answers.
func sentSafe(resp *http.Response) bool {
	return resp.Request != nil && safe(resp.Request.Method)
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
