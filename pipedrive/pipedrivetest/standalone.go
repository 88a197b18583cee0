package pipedrivetest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
)

// standalone holds the options that let the fake run as a server of its own (the
// pipedrive-files serve-fake command): where it listens, the token it accepts, and a hook
// that sees each request, and how many requests Requests keeps.
type standalone struct {
	listener net.Listener
	token    string
	hook     func(Request)
	history  int // requests kept for Requests; -1 (the default) keeps all
}

// WithListener makes the server accept connections on l instead of a new loopback port,
// for a fake that must listen on a given address; URL is then built from l.Addr(). Close
// closes l. It panics if l is nil.
func WithListener(l net.Listener) Option {
	if l == nil {
		panic("pipedrivetest: WithListener: listener is nil")
	}
	return func(o *options) { o.standalone.listener = l }
}

// WithToken makes the server accept token instead of a fresh random one, for a fake whose
// clients are configured before it starts. It panics unless token is one package
// pipedrive accepts: at least 20 characters of printable ASCII without spaces.
func WithToken(token string) Option {
	if len(token) < 20 || strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		panic("pipedrivetest: WithToken: token must be at least 20 characters of printable ASCII without spaces, as package pipedrive requires")
	}
	return func(o *options) { o.standalone.token = token }
}

// WithRequestHook calls hook with each request as Requests lists it (credentials
// redacted, Status and Response filled), once it is recorded and before its response is
// written: to log requests, or to act after the Nth. hook runs on the request's goroutine,
// concurrently with other requests, and may call the server's methods. It panics if hook
// is nil.
func WithRequestHook(hook func(Request)) Option {
	if hook == nil {
		panic("pipedrivetest: WithRequestHook: hook is nil")
	}
	return func(o *options) { o.standalone.hook = hook }
}

// WithRequestHistory keeps only the last n requests for Requests (none for n = 0), so
// that a fake serving for a long time (serve-fake) does not grow without limit: by
// default every request is kept, about 5 KB each. A hook (WithRequestHook) still sees
// every request. It panics if n < 0.
func WithRequestHistory(n int) Option {
	if n < 0 {
		panic("pipedrivetest: WithRequestHistory: n must not be negative")
	}
	return func(o *options) { o.standalone.history = n }
}

// start starts serving h on the configured listener, or on a new loopback port.
func (o standalone) start(h http.Handler) *httptest.Server {
	if o.listener == nil {
		return httptest.NewServer(h)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = o.listener
	ts.Start()
	return ts
}

// tokenOr is the configured token, or a fresh one from newToken.
func (o standalone) tokenOr(newToken func() string) string {
	if o.token != "" {
		return o.token
	}
	return newToken()
}
