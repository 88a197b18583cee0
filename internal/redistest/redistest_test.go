package redistest_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/e97b4d80/pipedrive-remote-files/internal/redistest"
)

// recorder is a testing.TB that records Fatal and Skip and ends the goroutine, as the
// real ones do.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.skip = fmt.Sprint(args...)
	runtime.Goexit()
}

// start runs Start with r, which ends the goroutine it runs in.
func start(r *recorder) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.Start(r)
	}()
	<-done
}

// Without redis-server on the PATH, Start skips the test, but fails it in CI.
func TestWithoutRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	const msg = "redis-server is not installed (Debian, Ubuntu: apt-get install -y redis-server): the Redis tests need a real server"
	for _, tc := range []struct {
		ci         string
		fail, skip string
	}{
		{ci: "true", fail: msg + "; CI must run them"},
		{ci: "1", fail: msg + "; CI must run them"},
		{ci: "", skip: msg},
		{ci: "false", skip: msg},
	} {
		t.Setenv("CI", tc.ci)
		r := &recorder{TB: t}
		start(r)
		assert.Equal(t, tc.fail, r.fatal, "CI=%q", tc.ci)
		assert.Equal(t, tc.skip, r.skip, "CI=%q", tc.ci)
	}
}

// A server answers on its socket, and is gone once stopped.
func TestStartAndKill(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	assert.NoError(t, rdb.Ping(t.Context()).Err())
	assert.Equal(t, "unix://"+srv.Socket(), srv.URL())
	srv.Kill()
	assert.Error(t, rdb.Ping(t.Context()).Err())
	srv.Stop() // a no-op once it has exited
}
