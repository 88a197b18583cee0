package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// usageError is a mistake in the flags, the environment or the request: exit code 2.
type usageError struct{ msg string }

// Error is the message, which names the flag or argument at fault.
func (e *usageError) Error() string { return e.msg }

// usagef is a usage error (exit 2) with the formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// common holds the flags create and link share.
type common struct {
	json          bool
	fake          bool
	companyDomain string
	baseURL       string
	limits        limitFlags // --redis-url and --rate-limit (redis.go)
}

// register defines the flags every API command has on fs.
func (c *common) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print the file as JSON instead of text")
	c.registerConnection(fs)
}

// registerConnection defines the flags that choose the Pipedrive to talk to, for a
// command that prints no file (delete).
func (c *common) registerConnection(fs *flag.FlagSet) {
	fs.BoolVar(&c.fake, "fake", false, "use a fake Pipedrive started in this process (no account, no network)")
	fs.StringVar(&c.companyDomain, "company-domain", "", "send requests to https://NAME.pipedrive.com/api/v1 (overrides PIPEDRIVE_COMPANY_DOMAIN and PIPEDRIVE_BASE_URL)")
	fs.StringVar(&c.baseURL, "base-url", "", "send requests to this base URL (overrides PIPEDRIVE_COMPANY_DOMAIN and PIPEDRIVE_BASE_URL)")
	c.limits.register(fs)
}

// itemFlags are --deal, --person and --org, of which exactly one must be given.
type itemFlags struct {
	deal, person, org int64
}

// register adds the flags of a command that links a file to the item.
func (it *itemFlags) register(fs *flag.FlagSet) { it.registerFor(fs, "link the file to") }

// registerFor adds the flags; action says what the command does with the item, e.g. "list
// the files of".
func (it *itemFlags) registerFor(fs *flag.FlagSet, action string) {
	fs.Int64Var(&it.deal, "deal", 0, action+" the deal with this id")
	fs.Int64Var(&it.person, "person", 0, action+" the person with this id")
	fs.Int64Var(&it.org, "org", 0, action+" the organization with this id")
}

// item returns the one item flag given, and its name for messages.
func (it *itemFlags) item(set map[string]bool) (pipedrive.Item, string, error) {
	var (
		item pipedrive.Item
		name string
		n    int
	)
	for _, c := range []struct {
		flag string
		item pipedrive.Item
	}{{"deal", pipedrive.Deal(it.deal)}, {"person", pipedrive.Person(it.person)}, {"org", pipedrive.Organization(it.org)}} {
		if set[c.flag] {
			item, name, n = c.item, "--"+c.flag, n+1
		}
	}
	switch n {
	case 0:
		return item, "", usagef("one of --deal, --person or --org is required")
	case 1:
		return item, name, nil
	}
	return item, "", usagef("give only one of --deal, --person and --org")
}

// parse parses args into fs. It returns done for -h (usage printed to stdout) and a
// usageError for anything wrong, including stray arguments.
func parse(fs *flag.FlagSet, args []string, help string, stdout io.Writer) (set map[string]bool, done bool, err error) {
	fs.SetOutput(io.Discard) // errors are reported by the caller, usage only on -h
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, help)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, true, nil
		}
		return nil, false, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, false, usagef("unexpected argument %q (quote values that contain spaces)", fs.Arg(0))
	}
	set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set, false, nil
}

// validationFlag names the flag behind a field of a *pipedrive.ValidationError.
func validationFlag(field, itemFlag string) string {
	switch {
	case field == "FileType":
		return "--type"
	case field == "Title":
		return "--title"
	case field == "RemoteID":
		return "--remote-id"
	case field == "URL":
		return "--url"
	case field == "Name":
		return "--name"
	case field == "Description":
		return "--description"
	case field == "ID":
		return "file ID"
	case strings.HasPrefix(field, "Item"):
		return itemFlag
	}
	return field
}

// timeoutFlag is --timeout, for the commands that call Pipedrive: register it on the
// command's flag set, bound the context of the call, and explain the error.
type timeoutFlag struct{ d time.Duration }

// register defines --timeout on fs.
func (t *timeoutFlag) register(fs *flag.FlagSet) {
	fs.Func("timeout", "give up after this `DURATION`, e.g. 30s or 2m, retries and rate-limit waits included (default: no overall limit; each attempt is bounded by the library's 60s)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 30s or 2m")
		}
		t.d = d
		return nil
	})
}

// bound limits ctx to the timeout, if one was given.
func (t *timeoutFlag) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.d == 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.d)
}

// explain names the flag in err when ctx, from bound, ran out: the library's own
// per-attempt timeout is not blamed on the flag.
func (t *timeoutFlag) explain(ctx context.Context, err error) error {
	if err != nil && t.d > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within --timeout %s: %w", t.d, err)
	}
	return err
}
