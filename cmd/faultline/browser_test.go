package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
)

// chromium finds a headless-capable Chromium, skipping the test where
// there is none unless FAULTLINE_REQUIRE_BROWSER=1 (CI) makes that a
// failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("FAULTLINE_REQUIRE_BROWSER") == "1" {
		t.Fatal("FAULTLINE_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install -y chromium)")
	}
	t.Skip("no chromium installed (apt-get install -y chromium); set FAULTLINE_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// browser is a headless Chromium tab that collects every console error,
// uncaught exception and failed load, and every URL the page requested.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func newBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+e.ExceptionDetails.Text+" "+e.ExceptionDetails.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				b.errors = append(b.errors, "console.error: "+strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				b.errors = append(b.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		}
	}))
	_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err, "starting chromium")
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	return b
}

// open loads url and returns the page's text.
func (b *browser) open(t *testing.T, url string) string {
	t.Helper()
	require.NoError(t, chromedp.Do(b.ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))), "opening %s", url)
	text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
	require.NoError(t, err)
	return text
}

func (b *browser) count(t *testing.T, selector string) int {
	t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	require.NoError(t, err)
	return n
}

// href is the absolute URL of the first link matching selector.
func (b *browser) href(t *testing.T, selector string) string {
	t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		fmt.Sprintf("(document.querySelector(%q) || {}).href || ''", selector)))
	require.NoError(t, err)
	require.NotEmpty(t, u, "the page has no link %s", selector)
	return u
}

func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	errs := b.errors
	b.errors = nil
	return errs
}

func (b *browser) takeRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.requests
	b.requests = nil
	return r
}

// TestPagesRenderInABrowser: a real INVALID run (a node that serves stale
// reads), its pages opened from file:// in headless Chromium: report.html
// says the verdict, the anomaly, the reproduce line and the shrunk
// operations, draws its plots and loads the shrunk diagram;
// linearizability.html loads; no page logs an error or requests anything
// outside the run's directory.
func TestPagesRenderInABrowser(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("a real 6-second run and a browser")
	}
	cmd, results, out := startRun(t, "--bug", "stale-read", "--time", "6s", "--nemesis", "partition,pause",
		"--nemesis-interval", "2s", "--seed", "3")
	require.Equal(t, 1, exitCode(t, cmd, 3*time.Minute), "the stale-read run must be INVALID; output:\n%s", out)
	dir := runDir(t, results)
	b := newBrowser(t, bin)

	report := b.open(t, "file://"+filepath.Join(dir, checker.ReportFile))
	assert.Contains(t, report, "INVALID: linearizability: key ")
	assert.Contains(t, report, "could not be linearized", "the anomaly's operation")
	assert.Contains(t, report, "Shrunk", "the run shrank its anomaly")
	assert.Contains(t, report, "faultline run --bug=stale-read", "the reproduce line")
	assert.GreaterOrEqual(t, b.count(t, "svg"), 2, "the latency and throughput plots")
	shrunk, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(document.querySelector('img[src$="shrunk.svg"]') || {}).naturalWidth || 0`))
	require.NoError(t, err)
	assert.Positive(t, shrunk, "the shrunk operations' diagram loads")
	lin := b.href(t, `a[href*="linearizability.html"]`)
	assert.Empty(t, b.takeErrors(), "report.html")

	b.open(t, lin)
	assert.Empty(t, b.takeErrors(), "linearizability.html")

	for _, u := range b.takeRequests() {
		if !strings.HasPrefix(u, "data:") {
			assert.True(t, strings.HasPrefix(u, "file://"+dir+"/"), "a page requested %s, outside the run's directory", u)
		}
	}
}
