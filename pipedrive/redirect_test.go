package pipedrive_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// redirectStatuses are every status net/http follows: 301, 302 and 303 turn a POST into a
// GET, 307 and 308 send the POST again.
var redirectStatuses = []int{
	http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
	http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
}

// redirectingAPI answers the first request with a redirect to a same-origin path that
// would answer any method with a created file, so that following it would fake a
// success: a create that never happened.
func redirectingAPI(t *testing.T, status int) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/moved") {
			replyJSON(200, minimalSuccessJSON)(w, r)
			return
		}
		w.Header().Set("Location", testAPIPath+"/moved")
		w.WriteHeader(status)
	})
}

// The library never follows a redirect, whatever the caller's http.Client says: a 3xx
// after a POST is an outcome-unknown APIError, with exactly one request sent (following
// would either report the GET's answer as the created file or send the POST twice). The
// caller's CheckRedirect is never consulted, and the caller's client is not changed.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	policies := map[string]func(*atomic.Int64) *http.Client{
		"CheckRedirect follows": func(n *atomic.Int64) *http.Client {
			return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { n.Add(1); return nil }}
		},
		"nil CheckRedirect (Go's default follows)": func(*atomic.Int64) *http.Client { return &http.Client{} },
	}
	for _, mode := range tokenModes {
		for policy, newHC := range policies {
			for _, status := range redirectStatuses {
				t.Run(fmt.Sprintf("%s/%s/%d", mode.name, policy, status), func(t *testing.T) {
					t.Parallel()
					api := redirectingAPI(t, status)
					var consulted atomic.Int64
					hc := newHC(&consulted)
					before := reflect.ValueOf(hc.CheckRedirect).Pointer()
					c := mode.client(t, api.baseURL(), retries, pipedrive.WithHTTPClient(hc))

					f, err := createDoc(t.Context(), c)
					assert.Nil(t, f, "no file from a redirect")
					var apiErr *pipedrive.APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, status, apiErr.StatusCode)
					requireSentinels(t, err, "ErrOutcomeUnknown")
					assert.Equal(t, int64(1), api.count(), "exactly one request: the redirect is not followed")
					assert.Equal(t, http.MethodPost, api.onlyRequest(t).Method)

					// A GET is not followed either.
					_, errs := collect(t, c.Files.List(t.Context(), pipedrive.Deal(12)))
					require.Len(t, errs, 1)
					require.ErrorAs(t, errs[0], &apiErr)
					assert.Equal(t, status, apiErr.StatusCode)
					assert.Equal(t, int64(2), api.count())

					assert.Zero(t, consulted.Load(), "the caller's CheckRedirect is never asked")
					assert.Equal(t, before, reflect.ValueOf(hc.CheckRedirect).Pointer(), "the caller's client is not changed")
				})
			}
		}
	}
}
