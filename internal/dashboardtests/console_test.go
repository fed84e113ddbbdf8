package dashboardtests_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// console is what a page said on its console and which of its requests
// failed: what a user with the developer tools open would see.
type console struct {
	mu    sync.Mutex
	lines []string
}

func (c *console) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
}

// take returns what was said since the last take.
func (c *console) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.lines
	c.lines = nil
	return out
}

// listen records console calls, log entries (the browser's own warnings,
// such as a failed load or a password field outside a proper form), answers
// of 400 and above, and requests that failed (a cancelled one aside: a page
// that goes away cancels its event stream).
func (c *console) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			if a.Value != nil {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		c.add("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *log.EventEntryAdded:
		c.add("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			c.add("HTTP %d: %s", ev.Response.Status, ev.Response.URL)
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			c.add("request failed: %s (%s)", ev.ErrorText, ev.Type)
		}
	}
}

// openWatchedPage is openPage with the page's console recorded from
// before it loads.
func openWatchedPage(t *testing.T, url string, width, height int) (*page, *console) {
	t.Helper()
	p := newPage(t, width, height)
	c := &console{}
	if err := chromedp.Listen(p.ctx, c.listen); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return p, c
}

// quiet fails the test if the page said anything since the last check.
func (c *console) quiet(t *testing.T, view string) {
	t.Helper()
	// Log entries and failed loads arrive a moment after what caused them.
	time.Sleep(300 * time.Millisecond)
	if lines := c.take(); len(lines) > 0 {
		t.Errorf("%s: the console is not clean:\n  %s", view, strings.Join(lines, "\n  "))
	}
}
