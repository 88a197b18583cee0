package pipedrive_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// failingAfterSend is a RoundTripper that, without any network, takes each request whole
// (its body read to the end, as a real transport writes it) and then fails with err, as a
// connection does when the request has gone out and the answer does not come back.
type failingAfterSend struct {
	err  error
	sent atomic.Int64
}

func (f *failingAfterSend) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	f.sent.Add(1)
	return nil, f.err
}

// A POST that may have reached Pipedrive is never sent again, with retries on, whichever
// way the answer was lost: a timeout or a connection broken after the request was written.
// The same failures of a GET, which changes nothing, are retried, so the single POST is
// the retry policy's choice, not a lack of retries. (Independent of
// TestTransportFaultsAreSentOnceWithOutcomeUnknown: no server, typed errors.)
func TestPOSTIsNotResentAfterATimeoutOrBrokenConnection(t *testing.T) {
	t.Parallel()
	failures := map[string]error{
		"read timeout":              &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded},
		"client timeout":            context.DeadlineExceeded,
		"connection reset":          &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
		"broken pipe while sending": &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)},
		"closed mid-answer":         io.ErrUnexpectedEOF,
		"closed before answering":   io.EOF,
	}
	posts := map[string]func(context.Context, *pipedrive.Client) error{
		"CreateRemote": func(ctx context.Context, c *pipedrive.Client) error {
			_, err := c.Files.CreateRemote(ctx, validCreate())
			return err
		},
		"LinkRemote": func(ctx context.Context, c *pipedrive.Client) error {
			_, err := c.Files.LinkRemote(ctx, validLink())
			return err
		},
	}
	for name, failure := range failures {
		for op, post := range posts {
			t.Run(name+"/"+op, func(t *testing.T) {
				t.Parallel()
				rt := &failingAfterSend{err: failure}
				clk := newFakeClock()
				c := newClient(t, "", retries, pipedrive.WithClock(clk), pipedrive.WithHTTPClient(&http.Client{Transport: rt}))

				err := post(t.Context(), c)
				require.ErrorIs(t, err, pipedrive.ErrOutcomeUnknown)
				assert.Equal(t, int64(1), rt.sent.Load(), "sent exactly once")
				assert.Empty(t, clk.Sleeps(), "no retry was waited for")

				_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
				require.Len(t, errs, 1)
				assert.NotErrorIs(t, errs[0], pipedrive.ErrOutcomeUnknown)
				assert.Equal(t, int64(1+1+pipedrive.DefaultRetryPolicy().MaxRetries), rt.sent.Load(), "a GET is retried")
			})
		}
	}
}
