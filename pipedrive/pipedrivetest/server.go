package pipedrivetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// BasePath is the path under which the server answers, as on https://{company}.pipedrive.com.
const BasePath = "/api/v1"

// UserID is the id of the fake's user: the user_id of every file it stores.
const UserID int64 = 1

// maxBody caps a request body; a real one is about 100 bytes.
const maxBody = 1 << 20

// Server is a fake Pipedrive listening on a loopback address. Create it with NewServer
// and Close it when done.
type Server struct {
	ts       *httptest.Server
	tr       *http.Transport // the transport of the clients Client makes
	closed   atomic.Bool
	token    string
	spec     *spec
	now      func() time.Time
	noGoogle bool
	hook     func(Request) // WithRequestHook's, or nil
	history  int           // how many requests are kept; -1 for all (WithRequestHistory)

	mu      sync.Mutex
	limiter limiter
	deals   map[int64]Deal
	persons map[int64]Person
	orgs    map[int64]Organization
	drive   map[string]*DriveFile
	files   []storedFile                  // the file with id n is files[n-1]
	byItem  map[pipedrive.Item]*itemFiles // the files linked to each item
	edits   map[int32]*fileEdit           // what PUT and DELETE changed, by position in files
	deleted gaps                          // positions of the deleted files, which lists leave out
	updates int                           // files a PUT has changed
	// inTimeOrder holds while add times never decrease along files: then, unless a PUT
	// changed a file, GET /files sorted by update_time is in id order.
	inTimeOrder bool
	version     uint64      // counts the changes to files, for sorted
	sorted      sortedOrder // GET /files's last order other than by id
	requests    []Request
	failures    []failure
}

// NewServer starts a fake Pipedrive on 127.0.0.1 with a fresh random API token.
//
// Unless WithFixtures gives it others, it starts with these items, to which AddDeal,
// AddPerson, AddOrganization and AddDriveFile add more:
//
//   - organizations 1 "Acme Corp" and 2 "Globex";
//   - persons 5 "John Doe" (of Acme Corp) and 6 "Jane Roe" (of Globex);
//   - deals 12 "Acme website redesign" (John Doe, Acme Corp) and 13 "Globex renewal"
//     (Jane Roe, Globex);
//   - Drive files "123magicfile123" (Google Doc "Price list") and
//     "1Qx7sheetFORECASTq3_2bT9vLmN0pRsTuVwXyZaBcDe" (Google Sheet "Q3 forecast").
//
// File ids start at 1. NewServer panics only if the embedded OpenAPI spec cannot be
// loaded, which the package's tests rule out.
func NewServer(opts ...Option) *Server {
	o := options{limit: defaultLimit, window: defaultWindow, daily: defaultDaily, now: time.Now, standalone: standalone{history: -1}}
	for _, opt := range opts {
		opt(&o)
	}
	sp, err := loadSpec()
	if err != nil {
		panic(err)
	}
	s := &Server{
		token:    o.standalone.tokenOr(newToken),
		spec:     sp,
		now:      o.now,
		noGoogle: o.noGoogle,
		hook:     o.standalone.hook,
		history:  o.standalone.history,
		limiter:  limiter{limit: o.limit, window: o.window, daily: o.daily},
		deals:    make(map[int64]Deal),
		persons:  make(map[int64]Person),
		orgs:     make(map[int64]Organization),
		drive:    make(map[string]*DriveFile),
		byItem:   make(map[pipedrive.Item]*itemFiles),
		edits:    make(map[int32]*fileEdit),

		inTimeOrder: true,
	}
	orgs, persons, deals, drive := seed()
	if o.fixtures != nil {
		orgs, persons, deals, drive = seedFixtures(o.fixtures)
	}
	for _, v := range orgs {
		s.orgs[v.ID] = v
	}
	for _, v := range persons {
		s.persons[v.ID] = v
	}
	for _, v := range deals {
		s.deals[v.ID] = v
	}
	for _, v := range drive {
		s.drive[v.ID] = &v
	}
	s.tr = &http.Transport{DialContext: s.dial}
	s.ts = o.standalone.start(http.HandlerFunc(s.serveHTTP))
	return s
}

// errClosed is why a client made by Client cannot connect once the server is closed.
var errClosed = errors.New("pipedrivetest: the server is closed")

// dial connects the clients made by Client. Once the server is closed it fails as a
// refused connection would, rather than reach whichever server has taken the port since.
func (s *Server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if s.closed.Load() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errClosed}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// newToken returns 40 hex digits, the shape of a Pipedrive API token.
func newToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// URL returns the base URL of the API, e.g. "http://127.0.0.1:41234/api/v1", for
// pipedrive.WithBaseURL.
func (s *Server) URL() string { return s.ts.URL + BasePath }

// Token returns the API token the server accepts, in the x-api-token header, the
// api_token query parameter or as an OAuth bearer token.
func (s *Server) Token() string { return s.token }

// Close shuts the server down, waiting for requests in flight, and closes the idle
// connections of clients made by Client; from then on those clients fail to connect, with
// a dial error, which package pipedrive reports as nothing sent. The server's state stays
// readable: Files and Requests still answer afterwards, with everything received before
// Close.
func (s *Server) Close() {
	s.closed.Store(true)
	s.ts.Close()
	s.tr.CloseIdleConnections()
}

// Client returns a *pipedrive.Client that talks to the server, as
// httptest.Server.Client returns an *http.Client: its base URL is URL(), it sends Token()
// in the x-api-token header, and it uses an HTTP client whose connections Close shuts.
// opts are applied after those, so they may replace the HTTP client, the retry policy,
// the clock or the logger; they must not add a credential or a company domain, which
// NewClient refuses alongside the ones given here. To test the query or OAuth modes, call
// pipedrive.NewClient with WithBaseURL(s.URL()) and your credential built from s.Token().
//
// An invalid option is a mistake in the calling code, not a condition to handle, so
// Client panics with NewClient's error text, as net/http/httptest panics on misuse. The
// token is removed from that text, should an option have echoed it.
func (s *Server) Client(opts ...pipedrive.Option) *pipedrive.Client {
	all := append([]pipedrive.Option{
		pipedrive.WithBaseURL(s.URL()),
		pipedrive.WithAPIToken(s.token),
		pipedrive.WithHTTPClient(&http.Client{Transport: s.tr}),
	}, opts...)
	c, err := pipedrive.NewClient(all...)
	if err != nil {
		panic("pipedrivetest: Server.Client: " + strings.ReplaceAll(err.Error(), s.token, Redacted))
	}
	return c
}

// reply is a response the server has decided on, written only after it is recorded so
// that a caller who got the response always finds its request in Requests.
type reply struct {
	status      int
	contentType string
	body        []byte
}

// serveHTTP answers one request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rep, q := s.answer(r, body, readErr)
	rec := s.record(r, body, rep)
	if s.hook != nil {
		s.hook(rec)
	}

	h := w.Header()
	q.setHeaders(h)
	if rep.contentType != "" {
		h.Set("Content-Type", rep.contentType)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// answer decides the response, in the order the package documentation gives. The route
// is found first, for what the request costs: the operation's x-token-cost.
func (s *Server) answer(r *http.Request, body []byte, readErr error) (reply, quota) {
	now := s.now()
	rt, status, allowed := s.spec.operation(r.Method, strings.TrimPrefix(r.URL.Path, BasePath), strings.HasPrefix(r.URL.Path, BasePath+"/"))
	cost := tokenCost(r.Method)
	if rt != nil {
		cost = rt.cost
	}
	s.mu.Lock()
	q := s.limiter.admit(now, cost)
	// Pipedrive documents x-daily-requests-left for API-token requests, on POST and PUT
	// answers only.
	q.requestsLeft = len(r.Header.Values("Authorization")) == 0 && (r.Method == http.MethodPost || r.Method == http.MethodPut)
	var scripted *failure
	// A lost answer needs a request that is carried out: one the limits refuse leaves it.
	if len(s.failures) > 0 && (!s.failures[0].afterCommit || q.over == "") {
		scripted = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.mu.Unlock()

	if scripted != nil && !scripted.afterCommit {
		return scripted.reply(), q
	}
	rep := s.carryOut(r, body, readErr, q, now, rt, status, allowed)
	if scripted != nil {
		return scripted.reply(), q // carried out, but the answer is lost
	}
	return rep, q
}

// carryOut checks the request and does what it asks, in the order the package
// documentation gives; rt, status and allowed are what spec.operation found.
func (s *Server) carryOut(r *http.Request, body []byte, readErr error, q quota, now time.Time, rt *route, status int, allowed []string) reply {
	switch {
	case q.over == "daily":
		return errorReply(http.StatusTooManyRequests, "Request over limit: the daily rate limit is spent. Wait for Retry-After seconds, until midnight UTC.")
	case q.over != "":
		return errorReply(http.StatusTooManyRequests, "Request over limit: the "+q.over+" rate limit is spent. Wait for x-ratelimit-reset seconds.")
	case readErr != nil:
		var tooBig *http.MaxBytesError
		if errors.As(readErr, &tooBig) {
			return errorReply(http.StatusRequestEntityTooLarge, "Request body too large")
		}
		return errorReply(http.StatusBadRequest, "Could not read the request body")
	}

	switch status {
	case http.StatusNotFound:
		return errorReply(status, "Unknown method: "+r.Method+" "+r.URL.Path+" is not part of the files API")
	case http.StatusMethodNotAllowed:
		return errorReply(status, "Method "+r.Method+" is not allowed here: use "+strings.Join(allowed, ", "))
	}
	form, rep, failed := s.check(r, body, rt.Route)
	if failed {
		return rep
	}
	switch rt.Path {
	case "/files":
		return s.listAll(r)
	case "/files/{id}":
		id, _ := strconv.ParseInt(filePath.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, BasePath))[1], 10, 64)
		switch rt.Method {
		case http.MethodPut:
			return s.updateFile(id, form, now)
		case http.MethodDelete:
			return s.deleteFile(id, now)
		}
		return s.getFile(id, now)
	}
	if rt.Method == http.MethodGet {
		return s.list(r)
	}
	if s.noGoogle {
		return errorReply(http.StatusForbidden, "No Google account is connected: connect Google Drive in Pipedrive under Settings > Google")
	}
	return s.store(rt.Path, form, now)
}

// Files returns every file the server has stored, oldest first, as the client decodes
// them: deleted ones too (ActiveFlag false), also once they are gone for good.
func (s *Server) Files() []pipedrive.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]pipedrive.File, len(s.files))
	for i := range s.files {
		out[i] = s.wireLocked(int32(i)).remoteFile()
	}
	return out
}

// failure is a scripted response queued by FailNext or FailNextAfterCommit.
type failure struct {
	status      int
	body        string
	afterCommit bool // carry the request out first
}

// FailNext queues a response: the next request, of any method, that does not find an
// earlier one queued is answered with status and body, as they are, whatever it asks;
// nothing is stored.
// The body is labelled application/json if it starts with '{', text/html if it starts
// with '<', text/plain otherwise, so Pipedrive's envelope, a CDN's HTML page and an empty
// body can all be scripted. The rate-limit headers are sent as usual. It panics if status
// is not in 100-599, as http.ResponseWriter.WriteHeader would.
func (s *Server) FailNext(status int, body string) {
	checkStatus("FailNext", status)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status: status, body: body})
}

// FailNextAfterCommit queues a lost answer: the next request, of any method, that does not
// find an earlier one queued is carried out as usual (a file is created or linked, visible
// in Files and in the GETs) and then answered with status and body instead of the real
// answer, as a proxy that drops Pipedrive's response would. Whatever the request's own
// outcome, the caller sees only status and body; Requests records them too. A request the
// rate limits refuse (a 429) is not carried out, so it leaves the failure queued for the
// next request they admit. Bodies are labelled as for FailNext. It panics if status is
// not in 100-599.
func (s *Server) FailNextAfterCommit(status int, body string) {
	checkStatus("FailNextAfterCommit", status)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status: status, body: body, afterCommit: true})
}

// checkStatus panics, naming fn, if status is not one WriteHeader accepts.
func checkStatus(fn string, status int) {
	if status < 100 || status > 599 {
		panic(fmt.Sprintf("pipedrivetest: %s: invalid HTTP status %d", fn, status))
	}
}

func (f *failure) reply() reply {
	rep := reply{status: f.status, body: []byte(f.body)}
	switch trimmed := bytes.TrimSpace(rep.body); {
	case len(trimmed) == 0:
	case trimmed[0] == '{':
		rep.contentType = "application/json"
	case trimmed[0] == '<':
		rep.contentType = "text/html; charset=utf-8"
	default:
		rep.contentType = "text/plain; charset=utf-8"
	}
	return rep
}
