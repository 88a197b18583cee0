package pipedrive_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// authModes are the three ways a token travels; every fault is checked in each, since the
// query mode puts the token in the URL that Go's errors print.
var authModes = map[string]func(string) pipedrive.Option{
	"header": pipedrive.WithAPIToken,
	"query":  pipedrive.WithAPITokenInQuery,
	"oauth":  withOAuthToken,
}

// faultClient builds a client for a fault scenario with a debug logger writing to logs.
func faultClient(t *testing.T, auth func(string) pipedrive.Option, base string, logs *bytes.Buffer, opts ...pipedrive.Option) (*pipedrive.Client, *pipedrivetest.Clock) {
	t.Helper()
	clk := newFakeClock()
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]pipedrive.Option{auth(retryToken), pipedrive.WithBaseURL(base + "/api/v1"), pipedrive.WithClock(clk), pipedrive.WithLogger(logger)}, opts...)
	c, err := pipedrive.NewClient(all...)
	require.NoError(t, err)
	return c, clk
}

// assertNoToken checks that neither the error nor the log mentions the token.
func assertNoToken(t *testing.T, err error, logs *bytes.Buffer) {
	t.Helper()
	if err != nil {
		assert.NotContains(t, err.Error(), retryToken)
		assert.NotContains(t, fmt.Sprintf("%+v", err), retryToken)
	}
	assert.NotContains(t, logs.String(), retryToken)
}

// hijackServer runs fn on the raw connection after the request (body included) was read,
// counting requests.
func hijackServer(t *testing.T, fn func(net.Conn, *bufio.ReadWriter)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		fn(conn, rw)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTransportFaultsAreSentOnceWithOutcomeUnknown(t *testing.T) {
	scenarios := map[string]func(t *testing.T) (base string, requests func() int64, opts []pipedrive.Option){
		"timeout after the server read the body": func(t *testing.T) (string, func() int64, []pipedrive.Option) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n.Add(1)
				select { // hang until the client gives up
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}))
			t.Cleanup(srv.Close)
			return srv.URL, n.Load, []pipedrive.Option{pipedrive.WithHTTPClient(&http.Client{Timeout: 750 * time.Millisecond})}
		},
		"connection closed mid-body": func(t *testing.T) (string, func() int64, []pipedrive.Option) {
			srv, n := hijackServer(t, func(c net.Conn, rw *bufio.ReadWriter) {
				_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"success\":true,\"da")
				_ = rw.Flush()
				_ = c.Close()
			})
			return srv.URL, n.Load, nil
		},
		"connection closed mid-headers": func(t *testing.T) (string, func() int64, []pipedrive.Option) {
			srv, n := hijackServer(t, func(c net.Conn, rw *bufio.ReadWriter) {
				_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Ty")
				_ = rw.Flush()
				_ = c.Close()
			})
			return srv.URL, n.Load, nil
		},
		"reset before answering": func(t *testing.T) (string, func() int64, []pipedrive.Option) {
			srv, n := hijackServer(t, func(c net.Conn, _ *bufio.ReadWriter) {
				_ = c.(*net.TCPConn).SetLinger(0) // close with RST
				_ = c.Close()
			})
			return srv.URL, n.Load, nil
		},
		"garbage instead of HTTP": func(t *testing.T) (string, func() int64, []pipedrive.Option) {
			srv, n := hijackServer(t, func(c net.Conn, rw *bufio.ReadWriter) {
				_, _ = rw.WriteString("\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x03garbage that is not HTTP\r\n\r\n")
				_ = rw.Flush()
				_ = c.Close()
			})
			return srv.URL, n.Load, nil
		},
	}
	for name, setup := range scenarios {
		for mode, auth := range authModes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				base, requests, opts := setup(t)
				var logs bytes.Buffer
				c, clk := faultClient(t, auth, base, &logs, opts...)
				f, err := createDoc(context.Background(), c)
				require.Error(t, err)
				assert.Nil(t, f)
				assert.Equal(t, int64(1), requests(), "the request may have been carried out: never sent twice")
				assert.Empty(t, clk.Sleeps())
				assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				assert.Contains(t, err.Error(), "POST /files/remote")
				assertNoToken(t, err, &logs)
			})
		}
	}
}

// countingDialer counts dial attempts and can fail them all.
func countingDialer(dials *atomic.Int64, fail error) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			if fail != nil {
				return nil, fail
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

func TestConnectionFailuresAreRetried(t *testing.T) {
	// Port 1 (tcpmux) has no listener here: dials are refused. A closed ephemeral port
	// could be taken meanwhile by a server of a test running in parallel.
	const refused = "http://127.0.0.1:1"

	dnsFail := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "acme.invalid", IsNotFound: true}}
	cases := map[string]error{"refused": nil, "dns": dnsFail}
	for name, fail := range cases {
		for mode, auth := range authModes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				var dials atomic.Int64
				var logs bytes.Buffer
				c, clk := faultClient(t, auth, refused, &logs, pipedrive.WithHTTPClient(countingDialer(&dials, fail)))
				_, err := createDoc(context.Background(), c)
				require.Error(t, err)
				assert.Equal(t, int64(4), dials.Load(), "the first attempt and 3 retries")
				assert.Len(t, clk.Sleeps(), 3)
				assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")
				assert.Contains(t, err.Error(), "could not connect, nothing was sent")
				assertNoToken(t, err, &logs)
			})
		}
	}
}

func TestConnectionRefusedThenServerUp(t *testing.T) {
	srv, n := scriptedServer(t, reply{status: 200, body: fileJSON})
	var dials atomic.Int64
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("connect: connection refused")}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	c := newTestClient(t, srv.URL, pipedrive.WithHTTPClient(hc), pipedrive.WithClock(newFakeClock()))
	f, err := createDoc(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(1), n.Load(), "one request reached the server: one file")
	hc.CloseIdleConnections()
}

func TestResponseBodiesNeverPanic(t *testing.T) {
	const file, unknown, declined = "file", "outcome unknown", "declined"
	bodies := map[string]struct {
		status int
		body   string
		want   string // file, outcome unknown, declined, or for other statuses the sentinel's text
	}{
		"empty":              {200, "", unknown},
		"not JSON":           {200, "<html>hello</html>", unknown},
		"truncated JSON":     {200, `{"success":true,"data":{"id":7195,"remote_id":"abc`, unknown},
		"data null":          {200, `{"success":true,"data":null}`, unknown},
		"data array":         {200, `{"success":true,"data":[]}`, unknown},
		"success missing":    {200, `{"data":{"id":1}}`, unknown},
		"success false":      {200, `{"success":false,"error":"Something failed","data":null}`, declined},
		"success string":     {200, `{"success":"true","data":{"id":1}}`, unknown},
		"bad time":           {200, `{"success":true,"data":{"id":1,"add_time":"yesterday","name":"\ud83d\ude00 \u0000"}}`, file},
		"JSON array":         {200, `[1,2,3]`, unknown},
		"JSON null":          {200, `null`, unknown},
		"error body on 201":  {201, `{"success":false,"error":"odd"}`, declined},
		"nested data 200":    {200, `{"success":true,"data":{"id":{"nested":true}}}`, unknown},
		"deep nesting 200":   {200, strings.Repeat("[", 10000) + strings.Repeat("]", 10000), unknown},
		"unicode escape 200": {200, `{"success":true,"data":{"id":1,"name":"\ud83d\ude00 \u0000"}}`, file},
		"empty 404":          {404, "", pipedrive.ErrNotFound.Error()},
		"array 400":          {400, `["x"]`, ""},
		"error wrong type":   {400, `{"success":false,"error":42}`, ""},
		"binary 500":         {500, "\x00\xff\xfe garbage", pipedrive.ErrServer.Error()},
		"huge message 422":   {422, `{"success":false,"error":"` + strings.Repeat("x", 200000) + `"}`, ""},
	}
	for name, b := range bodies {
		for mode, auth := range authModes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				srv, n := scriptedServer(t, reply{status: b.status, body: b.body})
				var logs bytes.Buffer
				c, _ := faultClient(t, auth, srv.URL, &logs)
				f, err := createDoc(context.Background(), c)
				assert.Equal(t, int64(1), n.Load())
				assertNoToken(t, err, &logs)
				if b.want == file {
					require.NoError(t, err)
					assert.Equal(t, "\U0001F600 \x00", f.Name)
					return
				}
				assert.Nil(t, f)
				var apiErr *pipedrive.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, b.status, apiErr.StatusCode)
				assert.LessOrEqual(t, len(apiErr.Body), 64<<10)
				assert.Less(t, len(err.Error()), 1000, "messages stay readable")
				switch b.want {
				case unknown:
					assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "a 2xx may have created the file")
				case declined:
					assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, `Pipedrive said "success": false`)
				case pipedrive.ErrNotFound.Error():
					assert.ErrorIs(t, err, pipedrive.ErrNotFound)
				case pipedrive.ErrServer.Error():
					assert.ErrorIs(t, err, pipedrive.ErrServer)
					assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				default:
					assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "a 4xx was refused")
				}
			})
		}
	}
}

// A successful answer with a file id is a file that exists: a field of an unexpected type
// or format is left zero rather than failing the call (and inviting a duplicate). Only an
// id that cannot be read makes the outcome unknown.
func TestWrongTypeInEveryField(t *testing.T) {
	fields := map[string]string{
		"user_id": `true`, "deal_id": `"x"`, "person_id": `{}`, "org_id": `[]`, "product_id": `1.5`,
		"activity_id": `"1"`, "project_id": `false`, "lead_id": `5`, "add_time": `20200221`, "update_time": `{}`,
		"file_name": `1`, "file_type": `[]`, "file_size": `"0"`, "active_flag": `1`, "inline_flag": `"true"`,
		"remote_location": `{}`, "remote_id": `123`, "cid": `[]`, "s3_bucket": `true`, "mail_message_id": `1`,
		"mail_template_id": `{}`, "deal_name": `1`, "person_name": `[]`, "org_name": `false`, "product_name": `2`,
		"lead_name": `{}`, "project_name": `[]`, "url": `7`, "name": `true`, "description": `{}`,
	}
	var n atomic.Int64
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body.Load().(string))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(newFakeClock()))
	for field, bad := range fields {
		body.Store(`{"success":true,"data":{"id":1,"` + field + `":` + bad + `}}`)
		f, err := createDoc(context.Background(), c)
		require.NoError(t, err, field)
		assert.Equal(t, pipedrive.RemoteFile{ID: 1}, *f, field)
	}
	for _, bad := range []string{`"7"`, `true`, `{}`, `[]`, `1.5`, `null`, `-3`} {
		body.Store(`{"success":true,"data":{"id":` + bad + `,"name":"x"}}`)
		f, err := createDoc(context.Background(), c)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr, bad)
		assert.Nil(t, f)
		assert.Equal(t, `unexpected response: "data.id" is `+bad+`, not a positive integer`, apiErr.Message)
		assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, bad)
	}
	assert.Equal(t, int64(len(fields)+7), n.Load())
}

func TestHugeBodyReadStopsAtCap(t *testing.T) {
	const size = 50 << 20
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for written.Load() < size {
			m, err := w.Write(chunk)
			written.Add(int64(m))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, pipedrive.WithClock(newFakeClock()))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := createDoc(context.Background(), c)
	runtime.ReadMemStats(&after)

	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "memory stays bounded by the 1 MiB cap, not the 50 MiB body")
	srv.CloseClientConnections()
	assert.Less(t, written.Load(), int64(size), "the client stopped reading and dropped the connection")
}

// 64 goroutines share one client (run with -race): every call is sent exactly once and
// each answer reaches the caller whose request it answers.
func TestConcurrentUse(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PostFormValue("item_id")
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Ratelimit-Remaining", fmt.Sprint(1000-i%1000))
		if i%7 == 0 {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"success":false,"error":"Item `+id+` not found"}`)
			return
		}
		_, _ = io.WriteString(w, `{"success":true,"data":{"id":`+id+`,"deal_id":`+id+`,"remote_id":"`+r.PostFormValue("remote_id")+`"}}`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)

	const goroutines, calls = 64, 10
	var wg sync.WaitGroup
	var ok, notFound atomic.Int64
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				id := int64(g*calls + i + 1)
				var f *pipedrive.RemoteFile
				var err error
				if i%2 == 0 {
					f, err = c.Files.CreateRemote(context.Background(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "t", Item: pipedrive.Deal(id)})
				} else {
					f, err = c.Files.LinkRemote(context.Background(), pipedrive.LinkRemoteFileRequest{RemoteID: fmt.Sprint("r", id), Item: pipedrive.Deal(id)})
				}
				if err != nil {
					assert.ErrorIs(t, err, pipedrive.ErrNotFound)
					assert.Contains(t, err.Error(), fmt.Sprintf("Item %d not found", id))
					notFound.Add(1)
					continue
				}
				assert.Equal(t, id, f.ID)
				assert.Equal(t, id, f.DealID)
				if i%2 == 1 {
					assert.Equal(t, fmt.Sprint("r", id), f.RemoteID)
				}
				ok.Add(1)
				_ = c.RateLimit()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(goroutines*calls), n.Load(), "each call sent exactly once")
	assert.Equal(t, int64(goroutines*calls), ok.Load()+notFound.Load())
	assert.Equal(t, int64(goroutines*calls/7), notFound.Load())
	assert.True(t, c.RateLimit().Known)
}

// A proxy page that echoes the request URL carries the query token URL-escaped; that
// form is redacted too.
func TestEscapedQueryTokenIsRedacted(t *testing.T) {
	const token = "tok+en/with=signs"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>upstream failed for "+r.URL.RequestURI()+" token "+r.URL.Query().Get("api_token")+"</html>")
	}))
	defer srv.Close()
	c, err := pipedrive.NewClient(pipedrive.WithAPITokenInQuery(token), pipedrive.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = createDoc(context.Background(), c)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Contains(t, string(apiErr.Body), "api_token=[REDACTED]", "the echoed URL is there, without the token")
	for _, form := range []string{token, url.QueryEscape(token)} {
		assert.NotContains(t, err.Error(), form)
		assert.NotContains(t, string(apiErr.Body), form)
	}
}

// A 404 cut short keeps what arrived, nothing more (the buffer is reused between calls).
func TestTruncatedErrorBodyKeepsWhatArrived(t *testing.T) {
	const partial = `{"success":false,"error":"Deal not fo`
	srv, n := hijackServer(t, func(c net.Conn, rw *bufio.ReadWriter) {
		_, _ = rw.WriteString("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + partial)
		_ = rw.Flush()
		_ = c.Close()
	})
	c := newTestClient(t, srv.URL)
	_, err := createDoc(context.Background(), c)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, partial, string(apiErr.Body))
	assert.ErrorIs(t, err, pipedrive.ErrNotFound)
	assert.Equal(t, int64(1), n.Load())
}
