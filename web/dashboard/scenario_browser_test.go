package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// TestDashboardScenario runs tickerd with a scenario that halts AAPL and
// crashes the whole market, and checks that the watchlist marks AAPL
// halted (and only AAPL), that a banner names the market-wide events, and
// that a trade in AAPL is refused with market_halted. It leaves
// screenshots of the halt and the crash. Its prerequisites are those of
// TestDashboardEndToEnd.
func TestDashboardScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "web", "dashboard", "static", "vendor", "lightweight-charts.js")); err != nil {
		missingPrerequisite(t, "web/dashboard/static/vendor/lightweight-charts.js is missing: run `make assets` first")
	}
	browser, err := findBrowser()
	if errors.Is(err, errNoBrowser) {
		missingPrerequisite(t, "no Chromium found: install it (Debian: apt-get install chromium) or set $CHROMIUM to its path")
	} else if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(root, "artifacts", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	scenario := filepath.Join(root, "web", "dashboard", "testdata", "halt-and-crash.yaml")
	srv := tickerdtest.New(t, "-scenario", scenario, "-speed", "20")
	srv.Start(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx, browser)
	console := &pageLog{}
	console.watch(t, ctx)
	b := &browserSteps{t: t, ctx: ctx}

	user := fmt.Sprintf("sc%d", time.Now().UnixNano()%1e9)
	b.do("sign up",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("auth-form")),
		chromedp.SendKeys(chromedp.ID("auth-username"), user),
		chromedp.SendKeys(chromedp.ID("auth-password"), "correct horse battery"),
		chromedp.Click(chromedp.ID("auth-register")),
		chromedp.WaitVisible(chromedp.ID("search-input")))
	b.waitFor("the connection is live", connIs("live"), 15*time.Second)

	for _, sym := range []string{"AAPL", "MSFT"} {
		b.do("search "+sym, chromedp.SendKeys(chromedp.ID("search-input"), sym))
		b.waitFor("the search offers "+sym, fmt.Sprintf(`!!document.querySelector('#search-list li[data-symbol=%q][aria-selected="true"]')`, sym), 5*time.Second)
		b.do("add "+sym, chromedp.SendKeys(chromedp.ID("search-input"), kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#wl-body tr[data-symbol=%q]`, sym))))
	}
	badge := func(sym string) string {
		return fmt.Sprintf(`document.querySelector('#wl-body tr[data-symbol=%q] .badge-halted')`, sym)
	}
	b.waitFor("AAPL is marked halted", `!`+badge("AAPL")+`.hidden`, 10*time.Second)
	b.waitFor("MSFT has a price", `document.querySelector('#wl-body tr[data-symbol="MSFT"] td.price').textContent.includes('$')`, 10*time.Second)
	if b.eval(`String(`+badge("MSFT")+`.hidden)`) != "true" {
		t.Fatal("MSFT is marked halted")
	}
	b.waitFor("the banner names the scenario and the sell-off",
		`(() => { const el = document.getElementById('market-banner'); return !el.hidden && el.textContent.includes('Scenario halt-and-crash') && el.textContent.includes('sell-off') && el.textContent.includes('Volatility ×3'); })()`,
		10*time.Second)
	if text := b.text("#market-banner"); strings.Contains(text, "halted market-wide") {
		t.Fatalf("the banner shows a market-wide halt: %q", text)
	}

	b.do("try to buy AAPL",
		clearInput("trade-symbol"),
		chromedp.SendKeys(chromedp.ID("trade-symbol"), "AAPL"),
		clearInput("trade-qty"),
		chromedp.SendKeys(chromedp.ID("trade-qty"), "1"),
		chromedp.Click(chromedp.ID("trade-submit")))
	b.waitFor("the refusal says market_halted", `(() => { const r = document.getElementById('trade-result'); return r.classList.contains('err') && r.querySelector('code') && r.querySelector('code').textContent === 'market_halted'; })()`, 10*time.Second)
	b.screenshot(filepath.Join(shots, "scenario-halt.png"))

	b.do("chart MSFT", chromedp.Click(chromedp.CSS(`#wl-body tr[data-symbol="MSFT"] .sym-btn`)))
	b.waitFor("the chart draws MSFT", `document.getElementById('chart-title').textContent.startsWith('MSFT') && document.querySelectorAll('#chart canvas').length > 0`, 10*time.Second)
	time.Sleep(5 * time.Second) // 100 simulated seconds of the sell-off
	b.screenshot(filepath.Join(shots, "scenario-crash.png"))

	if bad := console.failures(); len(bad) > 0 {
		t.Fatalf("the page logged %d error(s):\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
