package pipedrive

import (
	"context"
	"strings"
)

// operation names a call as errors and log lines show it: the method and the path
// template, e.g. "POST /files/remote".
type operation string

// The operations this package sends.
const (
	opCreate     operation = "POST /files/remote"
	opLink       operation = "POST /files/remoteLink"
	opListDeal   operation = "GET /deals/{id}/files"
	opListPerson operation = "GET /persons/{id}/files"
	opListOrg    operation = "GET /organizations/{id}/files"
)

// idempotent reports whether op is a read: resending it is safe, so it is retried on 5xx,
// timeouts and broken connections too, and its outcome is never unknown.
func (op operation) idempotent() bool { return strings.HasPrefix(string(op), "GET ") }

// operationKey carries the operation from a FilesService method to the transport.
type operationKey struct{}

// withOperation tells the transport which operation the requests sent with ctx belong to.
func withOperation(ctx context.Context, op operation) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// operationOf is the operation ctx carries; "" (not idempotent, the safe default) for a
// request sent without one.
func operationOf(ctx context.Context) operation {
	op, _ := ctx.Value(operationKey{}).(operation)
	return op
}
