package pipedrive_test

// Benchmarks for the cost of one call, run with `make bench` (see BENCHMARKS.md).
//
// Three implementations do the same useful work against the same kind of loopback server:
//
//   - impl=baseline: hand-written net/http, the floor: url.Values form encoding, a POST with
//     the x-api-token, User-Agent, Accept and Content-Type headers, the body read and decoded
//     with encoding/json into a struct with every data field, times parsed;
//   - impl=gen: the generated client alone (gen.NewClient, the *WithFormdataBody methods,
//     a request editor for the headers, the body decoded into gen.RemoteFileResponse);
//   - impl=pipedrive: client.Files.CreateRemote / LinkRemote (validation, generated
//     client, status and envelope checks, rate-limit headers, mapping to RemoteFile).
//
// Every benchmark starts its own httptest server and its own transport with the same
// settings (benchTransport), so no implementation inherits another's warm connections.
// mode=seq calls one at a time; mode=par16 keeps about 16 calls in flight with
// b.RunParallel. Allocation counts are per call for the whole process, so they include the
// httptest server's share, which is the same for all three.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// benchBody is a /files/remote success response in Pipedrive's shape with every field
// (including the unknown log_id and file_type keys Pipedrive sends), about 1 KiB like the
// real one.
const benchBody = `{"success":true,"data":{"id":7195,"user_id":13214125,"deal_id":36,` +
	`"person_id":1427,"org_id":15,"product_id":null,"activity_id":null,"project_id":null,` +
	`"lead_id":"adf21080-0e10-11eb-879b-05d71fb426ec","log_id":null,` +
	`"add_time":"2024-02-21 11:52:28","update_time":"2024-02-21 11:52:29",` +
	`"file_name":"Proposal for John Doe","file_type":"gdoc","file_size":0,` +
	`"active_flag":true,"inline_flag":false,"remote_location":"googledrive",` +
	`"remote_id":"1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c","cid":"","s3_bucket":"",` +
	`"mail_message_id":"","mail_template_id":"","deal_name":"Acme Corp - annual renewal 2024",` +
	`"person_name":"John Doe","org_name":"Acme Corporation","product_name":"",` +
	`"lead_name":"Acme Corp inbound lead from the website contact form","project_name":"",` +
	`"url":"https://acme.pipedrive.com/api/v1/files/7195/download",` +
	`"name":"Proposal for John Doe","description":"Commercial proposal drafted after the ` +
	`discovery call on 20 February: scope, pricing tiers, implementation timeline and the ` +
	`open questions for the customer's procurement team to answer before signature."},` +
	`"additional_data":null}`

// benchHeaders are the response headers Pipedrive sends with a success, including the
// rate-limit ones the pipedrive client parses. Values are shared read-only slices.
var benchHeaders = http.Header{
	"Content-Type":                      {"application/json; charset=utf-8"},
	"Content-Length":                    {strconv.Itoa(len(benchBody))},
	"X-Ratelimit-Limit":                 {"80"},
	"X-Ratelimit-Remaining":             {"79"},
	"X-Ratelimit-Reset":                 {"2"},
	"X-Daily-Requests-Left":             {"9999"},
	"X-Daily-Ratelimit-Token-Limit":     {"300000"},
	"X-Daily-Ratelimit-Token-Remaining": {"299990"},
	"X-Correlation-Id":                  {"b8d27f5e-3d1c-4a1f-9e9b-0c1d2e3f4a5b"},
}

// benchServer starts a loopback server answering both operations with benchBody. It is
// not fakeAPI on purpose: fakeAPI copies every request's headers and body into a list,
// work (and memory) that would be counted in every implementation's allocations and time.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(benchBody)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method != http.MethodPost || (r.URL.Path != "/v1/files/remote" && r.URL.Path != "/v1/files/remoteLink") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		for k, v := range benchHeaders {
			h[k] = v
		}
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchTransport is the one transport configuration every implementation gets: Go's
// default transport with enough idle connections per host for 16 calls in flight (the
// same settings as the pipedrive package's default client).
func benchTransport(b *testing.B) *http.Client {
	b.Helper()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	b.Cleanup(t.CloseIdleConnections)
	return &http.Client{Transport: t}
}

// benchRun runs call sequentially (mode=seq) or with about 16 calls in flight
// (mode=par16), failing the benchmark on the first error.
func benchRun(b *testing.B, call func(context.Context) error) {
	ctx := context.Background()
	// One call outside the timing both checks the setup and opens the first connection.
	if err := call(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("mode=seq", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := call(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mode=par16", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// The requests all three implementations send.
var (
	benchCreate = pipedrive.CreateRemoteFileRequest{FileType: pipedrive.GoogleDoc, Title: "Proposal for John Doe", Item: pipedrive.Deal(1234)}
	benchLink   = pipedrive.LinkRemoteFileRequest{RemoteID: "1gzyh6ExBxIb4RBZbAZxsrrBp45yuXhZWq3Zash5b75c", Item: pipedrive.Person(1427)}
)

// benchCheck fails a call whose decoded file is not the one benchBody describes, so no
// implementation can skip the decoding it is measured for.
func benchCheck(id int64, remoteID string, add time.Time) error {
	if id != 7195 || remoteID != benchLink.RemoteID || add.Second() != 28 {
		return fmt.Errorf("decoded id %d, remote id %q, add_time %v: not the response sent", id, remoteID, add)
	}
	return nil
}

// checkFile is benchCheck for the pipedrive client's answer.
func checkFile(f *pipedrive.RemoteFile, err error) error {
	if err != nil {
		return err
	}
	return benchCheck(f.ID, f.RemoteID, f.AddTime)
}

// checkBaselineFile is benchCheck for the baseline's answer.
func checkBaselineFile(f *benchBaselineFile, err error) error {
	if err != nil {
		return err
	}
	return benchCheck(f.ID, f.RemoteID, f.AddTime)
}

// BenchmarkCreateRemote measures POST /files/remote in the three implementations.
func BenchmarkCreateRemote(b *testing.B) {
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(b)
		benchRun(b, func(ctx context.Context) error {
			return checkBaselineFile(c.create(ctx, string(benchCreate.FileType), benchCreate.Title, string(benchCreate.Item.Type), benchCreate.Item.ID))
		})
	})
	b.Run("impl=gen", func(b *testing.B) {
		c := newBenchGen(b)
		benchRun(b, func(ctx context.Context) error {
			resp, err := c.AddFileAndLinkItWithFormdataBody(ctx, gen.AddFileAndLinkItRequest{
				FileType: gen.FileType(benchCreate.FileType), Title: benchCreate.Title, ItemType: gen.ItemType(benchCreate.Item.Type),
				ItemID: benchCreate.Item.ID, RemoteLocation: gen.RemoteLocationGoogledrive,
			})
			return benchGenDecode(resp, err)
		})
	})
	b.Run("impl=pipedrive", func(b *testing.B) {
		c := newBenchPipedrive(b)
		benchRun(b, func(ctx context.Context) error {
			return checkFile(c.Files.CreateRemote(ctx, benchCreate))
		})
	})
}

// BenchmarkLinkRemote measures POST /files/remoteLink in the three implementations.
func BenchmarkLinkRemote(b *testing.B) {
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(b)
		benchRun(b, func(ctx context.Context) error {
			return checkBaselineFile(c.link(ctx, benchLink.RemoteID, string(benchLink.Item.Type), benchLink.Item.ID))
		})
	})
	b.Run("impl=gen", func(b *testing.B) {
		c := newBenchGen(b)
		benchRun(b, func(ctx context.Context) error {
			resp, err := c.LinkFileToItemWithFormdataBody(ctx, gen.LinkFileToItemRequest{
				RemoteID: benchLink.RemoteID, ItemType: gen.ItemType(benchLink.Item.Type),
				ItemID: benchLink.Item.ID, RemoteLocation: gen.RemoteLocationGoogledrive,
			})
			return benchGenDecode(resp, err)
		})
	})
	b.Run("impl=pipedrive", func(b *testing.B) {
		c := newBenchPipedrive(b)
		benchRun(b, func(ctx context.Context) error {
			return checkFile(c.Files.LinkRemote(ctx, benchLink))
		})
	})
}

// newBenchPipedrive is the library as a user builds it, on the shared transport settings.
func newBenchPipedrive(b *testing.B) *pipedrive.Client {
	b.Helper()
	c, err := pipedrive.NewClient(
		pipedrive.WithAPIToken(testToken),
		pipedrive.WithBaseURL(benchServer(b).URL+"/v1"),
		pipedrive.WithHTTPClient(benchTransport(b)),
	)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// newBenchGen is the generated client alone, with the same headers as the others.
func newBenchGen(b *testing.B) *gen.Client {
	b.Helper()
	c, err := gen.NewClient(benchServer(b).URL+"/v1",
		gen.WithHTTPClient(benchTransport(b)),
		gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("x-api-token", testToken)
			req.Header.Set("User-Agent", wantUserAgent)
			req.Header.Set("Accept", "application/json")
			return nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchGenDecode is what a user of the generated client alone does with the response.
func benchGenDecode(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	var env gen.RemoteFileResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	if !env.Success || env.Data == nil {
		return errors.New("success is not true")
	}
	add, err := time.Parse(time.DateTime, env.Data.AddTime)
	if err != nil {
		return err
	}
	return benchCheck(env.Data.ID, env.Data.RemoteID, add)
}

// benchBaseline is the hand-written net/http client: the floor the others are measured against.
type benchBaseline struct {
	hc   *http.Client
	base string
}

// newBenchBaseline is the baseline on the shared transport settings.
func newBenchBaseline(b *testing.B) *benchBaseline {
	b.Helper()
	return &benchBaseline{hc: benchTransport(b), base: benchServer(b).URL + "/v1"}
}

// benchBaselineFile holds every data field of the response.
type benchBaselineFile struct {
	ID             int64  `json:"id"`
	UserID         int64  `json:"user_id"`
	DealID         int64  `json:"deal_id"`
	PersonID       int64  `json:"person_id"`
	OrgID          int64  `json:"org_id"`
	ProductID      int64  `json:"product_id"`
	ActivityID     int64  `json:"activity_id"`
	ProjectID      int64  `json:"project_id"`
	LeadID         string `json:"lead_id"`
	AddTimeText    string `json:"add_time"`
	UpdateTimeText string `json:"update_time"`
	FileName       string `json:"file_name"`
	FileType       string `json:"file_type"`
	FileSize       int64  `json:"file_size"`
	ActiveFlag     bool   `json:"active_flag"`
	InlineFlag     bool   `json:"inline_flag"`
	RemoteLocation string `json:"remote_location"`
	RemoteID       string `json:"remote_id"`
	CID            string `json:"cid"`
	S3Bucket       string `json:"s3_bucket"`
	MailMessageID  string `json:"mail_message_id"`
	MailTemplateID string `json:"mail_template_id"`
	DealName       string `json:"deal_name"`
	PersonName     string `json:"person_name"`
	OrgName        string `json:"org_name"`
	ProductName    string `json:"product_name"`
	LeadName       string `json:"lead_name"`
	ProjectName    string `json:"project_name"`
	URL            string `json:"url"`
	Name           string `json:"name"`
	Description    string `json:"description"`

	AddTime, UpdateTime time.Time `json:"-"`
}

// create is POST /files/remote, form-encoded the usual way.
func (c *benchBaseline) create(ctx context.Context, fileType, title, itemType string, itemID int64) (*benchBaselineFile, error) {
	form := url.Values{}
	form.Set("file_type", fileType)
	form.Set("title", title)
	form.Set("item_type", itemType)
	form.Set("item_id", strconv.FormatInt(itemID, 10))
	form.Set("remote_location", "googledrive")
	return c.post(ctx, "/files/remote", form)
}

// link is POST /files/remoteLink.
func (c *benchBaseline) link(ctx context.Context, remoteID, itemType string, itemID int64) (*benchBaselineFile, error) {
	form := url.Values{}
	form.Set("remote_id", remoteID)
	form.Set("item_type", itemType)
	form.Set("item_id", strconv.FormatInt(itemID, 10))
	form.Set("remote_location", "googledrive")
	return c.post(ctx, "/files/remoteLink", form)
}

// post sends the form with the headers, reads the body and decodes the file.
func (c *benchBaseline) post(ctx context.Context, path string, form url.Values) (*benchBaselineFile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-api-token", testToken)
	req.Header.Set("User-Agent", wantUserAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	var env struct {
		Success bool               `json:"success"`
		Data    *benchBaselineFile `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%s: decoding: %w", path, err)
	}
	if !env.Success || env.Data == nil {
		return nil, fmt.Errorf("%s: success is not true", path)
	}
	f := env.Data
	if f.AddTime, err = time.Parse(time.DateTime, f.AddTimeText); err != nil {
		return nil, err
	}
	if f.UpdateTime, err = time.Parse(time.DateTime, f.UpdateTimeText); err != nil {
		return nil, err
	}
	return f, nil
}
