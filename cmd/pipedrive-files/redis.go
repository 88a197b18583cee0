package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/redislimit"
)

// defaultSharedRate is --rate-limit when --redis-url is given without it: the burst limit
// of an API token on Pipedrive's lowest plan (Essential), so that it fits every plan.
const defaultSharedRate = "20/2s"

// redisPingTimeout bounds the look at start that Redis can be reached.
const redisPingTimeout = 5 * time.Second

// limitFlags are --redis-url and --rate-limit, of every command that calls Pipedrive.
type limitFlags struct {
	redisURL  string
	rateLimit string
}

// register defines the flags on fs.
func (f *limitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.redisURL, "redis-url", "", "share --rate-limit with every process that uses the token, through the Redis at this `URL`: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// (TLS) or unix:///PATH (overrides PIPEDRIVE_REDIS_URL)")
	fs.StringVar(&f.rateLimit, "rate-limit", "", "send at most `N/WINDOW` requests, evenly spaced, e.g. 16/2s: with --redis-url for all the processes on the token together, else for this one (default with --redis-url "+defaultSharedRate+", Pipedrive's lowest per-token limit; none without)")
}

// limitSetup is the limiter the flags and environment ask for, not yet in use: NewClient
// takes option, then check finds out whether Redis can be reached (so that a flag or
// token that NewClient refuses is reported first), and close releases the Redis
// connections once the client is done.
type limitSetup struct {
	option pipedrive.Option // nil: no limiter
	rdb    *redis.Client    // nil without Redis
	where  string           // the Redis URL, its password masked, and where it came from
}

// limiter builds the limiter for token (the API token; unused without Redis). With fake
// (--fake) PIPEDRIVE_REDIS_URL is ignored and --redis-url refused: each --fake process has
// a fake Pipedrive of its own, so there is no limit to share.
func (f *limitFlags) limiter(e *env, token string, fake bool) (*limitSetup, error) {
	raw, source := f.redisURL, "--redis-url"
	if raw == "" && !fake {
		raw, source = strings.TrimSpace(e.Getenv("PIPEDRIVE_REDIS_URL")), "PIPEDRIVE_REDIS_URL"
	}
	if fake && raw != "" {
		return nil, usagef("--redis-url cannot be combined with --fake: each --fake process has a fake Pipedrive of its own, with no limit to share")
	}
	spec := f.rateLimit
	if spec == "" {
		if raw == "" {
			return &limitSetup{}, nil
		}
		spec = defaultSharedRate
	}
	n, window, err := parseRate(spec) // its errors name --rate-limit
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return &limitSetup{option: pipedrive.WithRateLimiter(rate.NewLimiter(rate.Every(window/time.Duration(n)), 1))}, nil
	}

	// url.Parse's error quotes the URL, which may hold a password: not passed on.
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("%s: not a valid URL: want redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://... or unix:///PATH", source)
	}
	where := fmt.Sprintf("%s (%s)", u.Redacted(), source)
	opts, err := redis.ParseURL(raw) // its other errors quote only a scheme, path or option
	if err != nil {
		return nil, usagef("%s: %v", source, err)
	}
	redis.SetLogger(quietRedis{}) // its log of failed dials would repeat the errors reported here
	rdb := redis.NewClient(opts)
	lim, err := redislimit.New(rdb, token, n, window)
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return &limitSetup{option: pipedrive.WithRateLimiter(lim), rdb: rdb, where: where}, nil
}

// check finds out whether Redis can be reached, with PING, before anything is sent.
func (l *limitSetup) check() error {
	if l.rdb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisPingTimeout)
	defer cancel()
	if err := l.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis at %s, which the rate limit is shared through; nothing was sent: %w", l.where, err)
	}
	return nil
}

// close releases the Redis connections, if any.
func (l *limitSetup) close() {
	if l.rdb != nil {
		_ = l.rdb.Close()
	}
}

// redisStopAdvice is what to do about a bulk run that Redis stopped, or "" when Redis
// did not.
func redisStopAdvice(stop *bulk.StopError) string {
	if !errors.Is(stop, redislimit.ErrRedis) {
		return ""
	}
	return "Redis, which the rate limit is shared through (--redis-url, PIPEDRIVE_REDIS_URL), stopped answering, so no further request was sent: run the same command again once it is back to go on: " + stop.Err.Error()
}

// quietRedis is a go-redis logger that logs nothing.
type quietRedis struct{}

// Printf discards the line.
func (quietRedis) Printf(context.Context, string, ...any) {}
