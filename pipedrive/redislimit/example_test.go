package redislimit_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/redislimit"
)

// Every process that runs this shares the token's 20 requests per 2 seconds (Pipedrive's
// lowest API-token limit), keeping 4 of them for anything else that uses the token. Not
// run as a test: it needs a Redis server and a token.
func ExampleNew() {
	ctx := context.Background()
	token := os.Getenv("PIPEDRIVE_API_TOKEN")
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		fmt.Println("Redis cannot be reached:", err)
		return
	}
	lim, err := redislimit.New(rdb, token, 16, 2*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := pipedrive.NewClient(pipedrive.WithAPIToken(token), pipedrive.WithRateLimiter(lim))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := client.Files.CreateRemote(ctx, pipedrive.CreateRemoteFileRequest{
		FileType: pipedrive.GoogleDoc, Title: "Proposal", Item: pipedrive.Deal(12),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created file", f.ID)
}
