// Package redislimit shares a rate limit among processes through Redis, for
// pipedrive.WithRateLimiter. Pipedrive's burst limit applies per token, and each client
// paces itself by the answers to its own requests only: processes (or machines) that use
// one token, each pacing itself, together send more than the limit and meet 429s. With a
// Limiter on the same Redis they take their turns from one schedule instead.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	defer rdb.Close()
//	lim, err := redislimit.New(rdb, token, 16, 2*time.Second) // 16 of the token's 20 per 2 s
//	...
//	client, err := pipedrive.NewClient(pipedrive.WithAPIToken(token), pipedrive.WithRateLimiter(lim))
//
// The schedule is GCRA (the generic cell rate algorithm) as
// github.com/go-redis/redis_rate/v10 implements it: one Lua script that Redis runs
// atomically, by Redis's own clock, so the processes' clocks need not agree. Its state is
// one key per token holding a time, which expires once the token has been idle for a
// moment. The token never reaches Redis: the key is named by its SHA-256 (see
// Limiter.Key).
//
// Every process sharing a token should give New the same limit. The client's own pacing
// keeps working behind the Limiter: it still reads every answer's rate-limit headers and
// 429s, so that a limit set too high, or requests the token sends from elsewhere, still
// slow the client down rather than meet a stream of 429s.
package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// keyPrefix starts the name of every key a Limiter uses, after redis_rate's own "rate:".
const keyPrefix = "pipedrive:"

// redisRatePrefix is what redis_rate puts in front of every key it is given.
const redisRatePrefix = "rate:"

// minWait is the shortest sleep between two asks, should Redis answer "not yet" with no
// time to wait.
const minWait = time.Millisecond

// ErrRedis matches Wait's error when Redis could not be asked for a turn: it could not be
// reached, did not answer in time, or answered with an error. The request was not sent.
var ErrRedis = errors.New("redislimit: asking Redis for a turn")

// Limiter lets the processes that share a token and a Redis send n requests per window
// between them. It is a pipedrive.RateLimiter, safe for concurrent use by any number of
// goroutines and clients. Make one with New.
type Limiter struct {
	gcra  *redis_rate.Limiter
	key   string // as given to redis_rate, without its prefix
	limit redis_rate.Limit
}

// New returns a Limiter that lets n requests per window through for token, among all the
// Limiters that use the same Redis (rdb) and token, spaced evenly: one every window/n.
// Spaced so, no stretch of time as long as window, wherever it starts, holds more than n
// of them, which is what a rolling window such as Pipedrive's counts; a burst of n at once
// would not keep to that. A trailing line break on token is ignored, as
// pipedrive.WithAPIToken ignores it.
//
// rdb is used as it is: its options (timeouts, retries, TLS, credentials) are the
// caller's, and so is closing it once no Limiter needs it. New sends nothing to Redis; call
// rdb.Ping first to find out whether it can be reached.
func New(rdb redis.UniversalClient, token string, n int, window time.Duration) (*Limiter, error) {
	token = strings.TrimRight(token, "\r\n")
	switch {
	case rdb == nil:
		return nil, errors.New("redislimit: New: Redis client is nil")
	case token == "":
		return nil, errors.New("redislimit: New: token is empty")
	case n < 1:
		return nil, fmt.Errorf("redislimit: New: n must be at least 1, got %d", n)
	case window <= 0:
		return nil, fmt.Errorf("redislimit: New: window must be positive, got %s", window)
	}
	sum := sha256.Sum256([]byte(token))
	return &Limiter{
		gcra:  redis_rate.NewLimiter(rdb),
		key:   keyPrefix + hex.EncodeToString(sum[:]),
		limit: redis_rate.Limit{Rate: n, Period: window, Burst: 1},
	}, nil
}

// Key is the name of the Redis key that holds the token's schedule:
// "rate:pipedrive:" followed by the token's SHA-256 in hex. Deleting it forgets the
// requests already counted.
func (l *Limiter) Key() string { return redisRatePrefix + l.key }

// Wait blocks until the next request may be sent, taking its turn; it is what
// pipedrive.WithRateLimiter calls before every request. It asks Redis, sleeps as long as
// Redis says the next turn is away, and asks again, since another process may have taken
// that turn meanwhile.
//
// It fails, and the request is not sent, when Redis cannot be asked (an error matching
// ErrRedis, which wraps Redis's) or when ctx ends; when ctx has a deadline before the next turn, it fails at
// once with an error matching context.DeadlineExceeded.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("redislimit: %w", err)
		}
		res, err := l.gcra.Allow(ctx, l.key, l.limit)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRedis, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := max(res.RetryAfter, minWait)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return fmt.Errorf("redislimit: the next turn is %s away, past the context's deadline: %w", wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("redislimit: %w", ctx.Err())
		case <-timer.C:
		}
	}
}
