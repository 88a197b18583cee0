package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/bulk"
)

// plainEvery is how often the progress line is printed when stderr is not a terminal.
const plainEvery = 10 * time.Second

// paceAfter is how long a run goes before its progress shows a rate and an ETA: a rate
// taken over the first instant (rows skipped or finished within a millisecond) is absurd.
const paceAfter = time.Second

// progress counts the rows a run finishes and shows it on stderr: a bar redrawn at most
// ten times a second on a terminal, else a plain line every plainEvery.
type progress struct {
	todo     int // rows this run has to do
	earlier  int // rows finished by earlier runs
	start    time.Time
	now      func() time.Time // time.Now; a test's own clock
	finished atomic.Int64
	failed   atomic.Int64
	waitNote func() string // the current wait for the rate limit, "" when none

	terminal bool // drawing a bar, which a message must not be written into

	stopOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
}

// newProgress counts a run that has todo rows to do, earlier ones done before; waitNote
// describes the current rate-limit wait.
func newProgress(todo, earlier int, waitNote func() string) *progress {
	return &progress{todo: todo, earlier: earlier, start: time.Now(), now: time.Now, waitNote: waitNote, done: make(chan struct{})}
}

// rowFinished counts a row this run finished.
func (p *progress) rowFinished(res bulk.Result) {
	p.finished.Add(1)
	if res.State.Status != bulk.Done {
		p.failed.Add(1)
	}
}

// show starts drawing on w until stop.
func (p *progress) show(w io.Writer) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
		p.loop(100*time.Millisecond, p.bar(w))
		return
	}
	p.loop(plainEvery, func(final bool) {
		if !final {
			fmt.Fprintln(w, p.line())
		}
	})
}

// loop calls draw every interval, and once more with final true on stop.
func (p *progress) loop(interval time.Duration, draw func(final bool)) {
	p.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				draw(false)
			case <-p.done:
				draw(true)
				return
			}
		}
	})
}

// bar draws with progressbar: the bar and the count from the library; failures, the
// rate and ETA (pace) and the rate-limit wait in the description, after it. The
// library's own rate and prediction are off: it takes them over the time since its first
// drawing, which at first is next to nothing (it showed 623,325 rows/s). loop's ticker is
// the only throttle: the library's would swallow the drawing right after another, the
// last one included.
func (p *progress) bar(w io.Writer) func(final bool) {
	bar := progressbar.NewOptions(p.todo,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetWidth(20),
	)
	return func(final bool) {
		desc := fmt.Sprintf("failed %d", p.failed.Load())
		if pace := p.pace(); pace != "" {
			desc += ", " + pace
		}
		if p.earlier > 0 {
			desc += fmt.Sprintf(", %d done earlier", p.earlier)
		}
		if note := p.waitNote(); note != "" {
			desc += ", " + note
		}
		_ = bar.Set(int(p.finished.Load()))
		bar.Describe(desc) // draws the bar again, count included
		if final {
			_ = bar.Exit()
			fmt.Fprintln(w)
		}
	}
}

// line is the plain progress line.
func (p *progress) line() string {
	s := fmt.Sprintf("pipedrive-files bulk: %d/%d rows, %d failed", p.finished.Load(), p.todo, p.failed.Load())
	if pace := p.pace(); pace != "" {
		s += ", " + pace
	}
	if note := p.waitNote(); note != "" {
		s += ", " + note
	}
	return s
}

// pace is "2.2 rows/s, ETA 35s": the rows this run finished per second since it
// started, and the time the rest would take at that rate. It is "" for the first
// paceAfter, and until a row is finished.
func (p *progress) pace() string {
	n := p.finished.Load()
	elapsed := p.now().Sub(p.start)
	if elapsed < paceAfter || n == 0 {
		return ""
	}
	rate := float64(n) / elapsed.Seconds()
	s := fmt.Sprintf("%.1f rows/s", rate)
	if left := int64(p.todo) - n; left > 0 {
		s += ", ETA " + time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second).String()
	}
	return s
}

// stop draws the last state and ends the drawing.
func (p *progress) stop() {
	p.stopOnce.Do(func() { close(p.done) })
	p.wg.Wait()
}

// sayWhenDone prints msg on w once ctx is done, unless stop comes first; on a terminal
// it starts a new line, rather than run into the bar.
func (p *progress) sayWhenDone(ctx context.Context, w io.Writer, msg string) {
	if p.terminal {
		msg = "\n" + msg
	}
	p.wg.Go(func() {
		select {
		case <-ctx.Done():
		case <-p.done:
			if ctx.Err() == nil {
				return
			}
		}
		fmt.Fprintln(w, msg)
	})
}
