// Package redistest runs a redis-server of a test's own, for the tests of the Redis-backed
// rate limiter and of the command that uses it.
//
// The server listens on a unix socket in a fresh temporary directory, not on a TCP port:
// nothing else can be listening there, so there is no race for a free port, and no other
// test or process shares its data. It keeps nothing on disk, and is stopped when the test
// ends.
//
// When redis-server is not on the PATH, Start skips the test with a message saying how to
// install it; in CI (the environment variable CI set, and not to "false" or "0") it fails
// the test instead, so that the Redis tests can never pass there by not running.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// readyTimeout bounds how long Start waits for a new server to answer PING.
const readyTimeout = 15 * time.Second

// Server is one redis-server process.
type Server struct {
	socket string
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has been waited for
	log    *strings.Builder
}

// inCI reports whether the tests run in CI, where a missing redis-server is a failure.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Start starts a redis-server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		const msg = "redis-server is not installed (Debian, Ubuntu: apt-get install -y redis-server): the Redis tests need a real server"
		if inCI() {
			t.Fatal(msg + "; CI must run them")
		}
		t.Skip(msg)
	}
	// Not t.TempDir: a unix socket's path must fit in about 100 bytes, and a temporary
	// directory named after a long test name may not.
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &Server{socket: filepath.Join(dir, "redis.sock"), exited: make(chan struct{}), log: &strings.Builder{}}
	s.cmd = exec.Command(bin,
		"--port", "0", // no TCP listener at all
		"--unixsocket", s.socket, "--unixsocketperm", "700",
		"--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("redistest: starting %s: %v", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.Stop)
	if err := s.waitReady(); err != nil {
		t.Fatalf("redistest: %v; its output:\n%s", err, s.output())
	}
	return s
}

// waitReady waits until the server answers PING, or has exited, or readyTimeout passes.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: s.socket, MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	for {
		// Asked only once the socket is there, so that go-redis does not log a failed
		// dial for each look.
		_, err := os.Stat(s.socket)
		if err == nil {
			if err = rdb.Ping(ctx).Err(); err == nil {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("redis-server exited at start")
		case <-ctx.Done():
			return fmt.Errorf("redis-server did not answer PING within %s: %w", readyTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// output is what the server has printed, for a failure's message. It is read only
// once the process has exited, as it writes to it until then.
func (s *Server) output() string {
	select {
	case <-s.exited:
		return s.log.String()
	default:
		return "(still running)"
	}
}

// Socket is the path of the server's unix socket.
func (s *Server) Socket() string { return s.socket }

// URL is the server's address as a redis URL, for redis.ParseURL and --redis-url:
// unix:///path/to/redis.sock.
func (s *Server) URL() string { return "unix://" + s.socket }

// Client is a new client of the server, closed when t ends. It does not retry, so that
// a test that stops the server sees the failure at once.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: s.socket, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Keys lists every key in rdb's database, sorted, with SCAN: what a test checks to see
// that no token reached Redis.
func Keys(t testing.TB, rdb *redis.Client) []string {
	t.Helper()
	var all []string
	iter := rdb.Scan(t.Context(), 0, "*", 100).Iterator()
	for iter.Next(t.Context()) {
		all = append(all, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("redistest: listing the keys: %v", err)
	}
	slices.Sort(all)
	return all
}

// Kill stops the server at once (SIGKILL), as a crash would, and waits for it to exit.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit; it
// does nothing once the server has exited. Start calls it when the test ends.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.Kill()
	}
}
