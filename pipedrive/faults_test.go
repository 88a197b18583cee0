package pipedrive_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// cutAfter writes raw bytes in place of an answer and closes the connection.
func cutAfter(raw string) http.HandlerFunc {
	return hijack(func(c net.Conn, rw *bufio.ReadWriter) {
		_, _ = rw.WriteString(raw)
		_ = rw.Flush()
		_ = c.Close()
	})
}

// reset closes the connection with a TCP RST, as a dropped connection looks.
func reset(w http.ResponseWriter, r *http.Request) {
	hijack(func(c net.Conn, _ *bufio.ReadWriter) {
		_ = c.(*net.TCPConn).SetLinger(0)
		_ = c.Close()
	})(w, r)
}

func TestTransportFaultsAreSentOnceWithOutcomeUnknown(t *testing.T) {
	t.Parallel()
	scenarios := map[string]struct {
		respond http.HandlerFunc
		lose    bool // the answer is lost to a timeout
	}{
		"timeout after the server read the body": {replyJSON(200, minimalSuccessJSON), true},
		"connection closed mid-body":             {respond: cutAfter("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"success\":true,\"da")},
		"connection closed mid-headers":          {respond: cutAfter("HTTP/1.1 200 OK\r\nContent-Ty")},
		"reset before answering":                 {respond: reset},
		"garbage instead of HTTP":                {respond: cutAfter("\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x03garbage that is not HTTP\r\n\r\n")},
	}
	for name, sc := range scenarios {
		for _, mode := range tokenModes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, sc.respond)
				var logs bytes.Buffer
				clk := newFakeClock()
				opts := []pipedrive.Option{retries, pipedrive.WithClock(clk), debugLog(&logs)}
				if sc.lose {
					opts = append(opts, pipedrive.WithHTTPClient(losingAnswers(t, 1)))
				}
				c := mode.client(t, api.baseURL(), opts...)
				f, err := createDoc(t.Context(), c)
				require.Error(t, err)
				assert.Nil(t, f)
				assert.Equal(t, int64(1), api.count(), "the request may have been carried out: never sent twice")
				assert.Empty(t, clk.Sleeps())
				assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				assert.Contains(t, err.Error(), "POST /files/remote")
				requireNoSecret(t, testToken, err, c, &logs)
			})
		}
	}
}

func TestConnectionFailuresAreRetried(t *testing.T) {
	t.Parallel()
	dnsFail := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "acme.invalid", IsNotFound: true}}
	cases := map[string]error{"refused": errRefused, "dns": dnsFail}
	for name, fail := range cases {
		for _, mode := range tokenModes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				hc, dials := dialing(t, func(int64) error { return fail })
				var logs bytes.Buffer
				clk := newFakeClock()
				c := mode.client(t, "https://acme.invalid/api/v1", retries, pipedrive.WithClock(clk), debugLog(&logs), pipedrive.WithHTTPClient(hc))
				_, err := createDoc(t.Context(), c)
				require.Error(t, err)
				assert.Equal(t, int64(4), dials.Load(), "the first attempt and 3 retries")
				assert.Len(t, clk.Sleeps(), 3)
				assert.NotErrorIs(t, err, pipedrive.ErrOutcomeUnknown, "nothing was sent")
				assert.Contains(t, err.Error(), "could not connect, nothing was sent")
				assert.ErrorIs(t, err, fail.(*net.OpError).Err, "the cause stays inspectable")
				// In query mode Go's *url.Error holds the URL with the token: it is kept, minus the token.
				var urlErr *url.Error
				require.ErrorAs(t, err, &urlErr)
				assert.NotContains(t, urlErr.URL, "api_token")
				assert.Contains(t, urlErr.URL, "/api/v1/files/remote")
				requireNoSecret(t, testToken, err, c, &logs)
			})
		}
	}
}

func TestConnectionRefusedThenServerUp(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
	hc, _ := dialing(t, func(n int64) error {
		if n == 1 {
			return errRefused
		}
		return nil
	})
	c := newClient(t, api.baseURL(), retries, pipedrive.WithHTTPClient(hc))
	f, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	assert.Equal(t, int64(7195), f.ID)
	assert.Equal(t, int64(1), api.count(), "one request reached the server: one file")
}

func TestResponseBodiesNeverPanic(t *testing.T) {
	t.Parallel()
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
		for _, mode := range tokenModes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				api := newFakeAPI(t, replyJSON(b.status, b.body))
				var logs bytes.Buffer
				c := mode.client(t, api.baseURL(), retries, debugLog(&logs))
				f, err := createDoc(t.Context(), c)
				assert.Equal(t, int64(1), api.count())
				requireNoSecret(t, testToken, err, c, &logs)
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
	t.Parallel()
	fields := map[string]string{
		"user_id": `true`, "deal_id": `"x"`, "person_id": `{}`, "org_id": `[]`, "product_id": `1.5`,
		"activity_id": `"1"`, "project_id": `false`, "lead_id": `5`, "add_time": `20200221`, "update_time": `{}`,
		"file_name": `1`, "file_type": `[]`, "file_size": `"0"`, "active_flag": `1`, "inline_flag": `"true"`,
		"remote_location": `{}`, "remote_id": `123`, "cid": `[]`, "s3_bucket": `true`, "mail_message_id": `1`,
		"mail_template_id": `{}`, "deal_name": `1`, "person_name": `[]`, "org_name": `false`, "product_name": `2`,
		"lead_name": `{}`, "project_name": `[]`, "url": `7`, "name": `true`, "description": `{}`,
	}
	var body atomic.Value
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		replyJSON(200, body.Load().(string))(w, r)
	})
	c := newClient(t, api.baseURL())
	for field, bad := range fields {
		body.Store(`{"success":true,"data":{"id":1,"` + field + `":` + bad + `}}`)
		f, err := createDoc(t.Context(), c)
		require.NoError(t, err, field)
		assert.Equal(t, pipedrive.RemoteFile{ID: 1}, *f, field)
	}
	for _, bad := range []string{`"7"`, `true`, `{}`, `[]`, `1.5`, `null`, `-3`} {
		body.Store(`{"success":true,"data":{"id":` + bad + `,"name":"x"}}`)
		f, err := createDoc(t.Context(), c)
		var apiErr *pipedrive.APIError
		require.ErrorAs(t, err, &apiErr, bad)
		assert.Nil(t, f)
		assert.Equal(t, `unexpected response: "data.id" is `+bad+`, not a positive integer`, apiErr.Message)
		assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown, bad)
	}
	assert.Equal(t, int64(len(fields)+7), api.count())
}

// Not parallel: it measures the memory the process allocates during the call.
func TestHugeBodyReadStopsAtCap(t *testing.T) {
	const size = 50 << 20
	var written atomic.Int64
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
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
	})
	c := newClient(t, api.baseURL())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := createDoc(t.Context(), c)
	runtime.ReadMemStats(&after)

	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "memory stays bounded by the 1 MiB cap, not the 50 MiB body")
	api.srv.CloseClientConnections()
	assert.Less(t, written.Load(), int64(size), "the client stopped reading and dropped the connection")
}

// 64 goroutines share one client (run with -race): every call is sent exactly once and
// each answer reaches the caller whose request it answers.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
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
	})
	c := newClient(t, api.baseURL(), retries)

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
					f, err = c.Files.CreateRemote(t.Context(), pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleSheet, Title: "t", Item: pipedrive.Deal(id)})
				} else {
					f, err = c.Files.LinkRemote(t.Context(), pipedrive.LinkRemoteFileRequest{RemoteID: fmt.Sprint("r", id), Item: pipedrive.Deal(id)})
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
	assert.Equal(t, int64(goroutines*calls), api.count(), "each call sent exactly once")
	assert.Equal(t, int64(goroutines*calls), ok.Load()+notFound.Load())
	assert.Equal(t, int64(goroutines*calls/7), notFound.Load())
	assert.True(t, c.RateLimit().Known)
}

// A proxy page that echoes the request URL carries the query token URL-escaped; that
// form is redacted too.
// (The one test with a token of its own: it is about the characters that need escaping.)
func TestEscapedQueryTokenIsRedacted(t *testing.T) {
	t.Parallel()
	const token = "tok+en/with=signs/and+more"
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		replyRaw(http.StatusBadGateway, "text/html", "<html>upstream failed for "+r.URL.RequestURI()+" token "+r.URL.Query().Get("api_token")+"</html>")(w, r)
	})
	c := newClientWith(t, pipedrive.WithAPITokenInQuery(token), api.baseURL())
	_, err := createDoc(t.Context(), c)
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
	t.Parallel()
	const partial = `{"success":false,"error":"Deal not fo`
	api := newFakeAPI(t, cutAfter("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"+partial))
	c := newClient(t, api.baseURL())
	_, err := createDoc(t.Context(), c)
	var apiErr *pipedrive.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, partial, string(apiErr.Body))
	assert.ErrorIs(t, err, pipedrive.ErrNotFound)
	assert.Equal(t, int64(1), api.count())
}
