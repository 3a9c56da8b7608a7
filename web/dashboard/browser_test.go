package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// TestDashboardEndToEnd drives the dashboard in headless Chromium against
// the real tickerd binary: sign up, log in, watch a price move, trade, see
// the position and header follow the push, open the chart and the protocol
// panel, survive a server crash and restart, log out. Any JavaScript
// exception or console error fails it.
//
// It needs the chart library (`make assets`) and a Chromium (see
// findBrowser). Without them it is skipped, except when CI is set: there it
// fails, so that CI never passes by skipping it.
func TestDashboardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "web", "dashboard", "static", "vendor", "lightweight-charts.js")); err != nil {
		missingPrerequisite(t, "web/dashboard/static/vendor/lightweight-charts.js is missing: run `make assets` first "+
			"(it fetches the dashboard's chart library with npm)")
	}
	browser, err := findBrowser()
	if errors.Is(err, errNoBrowser) {
		missingPrerequisite(t, "no Chromium found: install it (Debian: apt-get install chromium) "+
			"or set $CHROMIUM to its path")
	} else if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(root, "artifacts", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	srv := tickerdtest.New(t)
	srv.Start(t)
	base := srv.URL

	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx, browser)
	console := &pageLog{}
	console.watch(t, ctx)
	b := &browserSteps{t: t, ctx: ctx}

	user := fmt.Sprintf("e2e%d", time.Now().UnixNano()%1e9)
	const password = "correct horse battery"

	b.do("install the page probes", installPageProbes())

	// Sign up: first a password the server refuses, shown next to its field.
	b.do("open the page", installWebSocketSwitch(), chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("auth-form")))
	b.do("try a short password",
		chromedp.SendKeys(chromedp.ID("auth-username"), user),
		chromedp.SendKeys(chromedp.ID("auth-password"), "short"),
		chromedp.Click(chromedp.ID("auth-register")))
	b.waitFor("the password field shows the server's rule", `document.getElementById('auth-password-error').textContent.includes('password must be')`, 10*time.Second)
	b.do("sign up",
		clearInput("auth-password"),
		chromedp.SendKeys(chromedp.ID("auth-password"), password),
		chromedp.Click(chromedp.ID("auth-register")),
		chromedp.WaitVisible(chromedp.ID("search-input")))
	b.do("log out after sign-up", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("auth-form")))
	b.do("log in",
		chromedp.SendKeys(chromedp.ID("auth-password"), password+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("search-input")))
	b.waitFor("the header says who is logged in", fmt.Sprintf(`document.getElementById('user-name').textContent === %q`, user), 5*time.Second)
	b.waitFor("the connection is live", connIs("live"), 15*time.Second)

	// Add AAPL through the search box, with the keyboard.
	b.do("search for a symbol", chromedp.SendKeys(chromedp.ID("search-input"), "apple"))
	b.waitFor("the search lists Apple", `!!document.querySelector('#search-list li[data-symbol="AAPL"][aria-selected="true"]')`, 5*time.Second)
	b.do("pick it with Enter", chromedp.SendKeys(chromedp.ID("search-input"), kb.Enter))
	aaplPrice := `#wl-body tr[data-symbol="AAPL"] td.price`
	b.do("the watchlist row appears", chromedp.WaitVisible(chromedp.CSS(aaplPrice)))
	b.waitFor("AAPL has a price", fmt.Sprintf(`document.querySelector(%q).textContent.includes('$')`, aaplPrice), 10*time.Second)
	first := b.text(aaplPrice)
	b.waitFor("AAPL's price changes", fmt.Sprintf(`document.querySelector(%q).textContent !== %q`, aaplPrice, first), 10*time.Second)

	// Add and remove a second symbol; the saved list follows.
	b.do("add MSFT", chromedp.SendKeys(chromedp.ID("search-input"), "MSFT"))
	b.waitFor("the search offers MSFT", `!!document.querySelector('#search-list li[data-symbol="MSFT"][aria-selected="true"]')`, 5*time.Second)
	b.do("pick MSFT", chromedp.SendKeys(chromedp.ID("search-input"), kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#wl-body tr[data-symbol="MSFT"]`)))
	b.promise("the server saved both", `fetch('/api/v1/watchlist').then((r) => r.json()).then((w) => w.symbols.join() === 'AAPL,MSFT')`)
	b.do("remove MSFT", chromedp.Click(chromedp.CSS(`#wl-body tr[data-symbol="MSFT"] button[aria-label^="Remove"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#wl-body tr[data-symbol="MSFT"]`)))
	b.promise("the server saved the removal", `fetch('/api/v1/watchlist').then((r) => r.json()).then((w) => w.symbols.join() === 'AAPL')`)

	// Trade: a refusal marks its field; changing the order clears it.
	b.do("order an unknown symbol",
		clearInput("trade-symbol"),
		chromedp.SendKeys(chromedp.ID("trade-symbol"), "ZZZZ"),
		clearInput("trade-qty"),
		chromedp.SendKeys(chromedp.ID("trade-qty"), "10"),
		chromedp.Click(chromedp.ID("trade-submit")))
	b.waitFor("the refusal marks the symbol", refusedSymbol, 10*time.Second)
	b.do("change the symbol", chromedp.SendKeys(chromedp.ID("trade-symbol"), kb.Backspace))
	b.waitFor("the refusal and the mark are gone", tradeFormClean, 2*time.Second)

	// Trade: a refusal is shown with its code, a fill with its price.
	b.do("fill the trade form",
		clearInput("trade-symbol"),
		chromedp.SendKeys(chromedp.ID("trade-symbol"), "AAPL"),
		clearInput("trade-qty"),
		chromedp.SendKeys(chromedp.ID("trade-qty"), "900000"),
		chromedp.Click(chromedp.ID("trade-submit")))
	b.waitFor("the refusal and its code", `(() => { const r = document.getElementById('trade-result'); return r.classList.contains('err') && r.querySelector('code') && r.querySelector('code').textContent === 'insufficient_cash'; })()`, 10*time.Second)
	b.do("change the quantity", chromedp.SendKeys(chromedp.ID("trade-qty"), "0"))
	b.waitFor("the refusal is gone", tradeFormClean, 2*time.Second)
	cashBefore := b.text("#sum-cash")
	b.do("buy 10 shares",
		clearInput("trade-qty"),
		chromedp.SendKeys(chromedp.ID("trade-qty"), "10"),
		chromedp.Click(chromedp.ID("trade-submit")))
	b.waitFor("the fill", `(() => { const r = document.getElementById('trade-result'); return r.classList.contains('ok') && /Bought 10 AAPL at \$[\d,]+\.\d\d/.test(r.textContent); })()`, 10*time.Second)
	b.do("the position row appears", chromedp.WaitVisible(chromedp.CSS(`#pos-body tr[data-symbol="AAPL"]`)))
	b.waitFor("the position holds 10 shares", `document.querySelector('#pos-body tr[data-symbol="AAPL"] td:nth-child(2)').textContent === '10'`, 5*time.Second)
	// The cash is exact: the starting $100,000.00 less the fill, as the
	// API reports it. The total moves with prices, so it is checked against
	// what the same valuation put on the page: cash plus market values.
	price := dollarCents(t, b.text("#trade-result"), `Bought 10 AAPL at `)
	cash := portfolioCash(t, b.await("read GET /api/v1/portfolio", `fetch('/api/v1/portfolio').then((r) => r.text())`))
	if want := startingCash - 10*price; cash != want {
		t.Fatalf("GET /api/v1/portfolio: cash %s, want %s (10 AAPL bought at %s)", usd(cash), usd(want), usd(price))
	}
	b.waitFor("the header shows the API's cash", fmt.Sprintf(`document.getElementById('sum-cash').textContent === %q`, usd(cash)), 5*time.Second)
	if cashBefore != usd(startingCash) {
		t.Fatalf("the header's cash before the buy = %q, want %q", cashBefore, usd(startingCash))
	}
	total := b.checkTotals("the header after the buy", cash, 10)
	b.waitFor("the header's total follows the portfolio push", fmt.Sprintf(`document.getElementById('sum-total').textContent !== %q`, usd(total)), 15*time.Second)
	b.checkTotals("the header after a push", cash, 10)

	// Trade history: the fill, then fills placed elsewhere arrive with the
	// portfolio push; a page of 10, the rest by "Load more".
	b.checkHistory("the history after the buy", 1)
	b.tradeElsewhere(9, 4)
	b.waitFor("the history follows fills made elsewhere", historyRows+` === 10 && !document.getElementById('hist-more').hidden`, 10*time.Second)
	b.checkHistory("the history's first page", 10)
	b.do("load more", chromedp.Click(chromedp.ID("hist-more")))
	b.waitFor("the last trade is listed", historyRows+` === 11 && document.getElementById('hist-more').hidden`, 10*time.Second)
	b.checkHistory("the whole history", 11)
	b.shotPanels(shots, map[string]string{".history": "history", ".trade": "trade"})

	// Price alerts: the bell of a watchlist row pre-fills the form with the
	// row's price; alerts a cent either side of the price are set, and one
	// of them fires within seconds: announced, and moved to the triggered list.
	b.do("the bell of AAPL's row", chromedp.Click(chromedp.CSS(`#wl-body tr[data-symbol="AAPL"] .btn-bell`)))
	b.waitFor("the alert form is pre-filled with AAPL's price", `(() => {
		const v = document.getElementById('alert-value').value;
		const row = Number(document.querySelector('#wl-body tr[data-symbol="AAPL"] td.price').textContent.replace(/[^0-9.]/g, ''));
		return document.getElementById('alert-symbol').value === 'AAPL' && /^\d+\.\d\d$/.test(v) && Math.abs(Number(v) - row) < row / 100;
	})()`, 5*time.Second)
	b.setAlert("above", +1)
	b.setAlert("below", -1)
	b.waitFor("both alerts are listed", `document.querySelectorAll('#alerts-active li').length + document.querySelectorAll('#alerts-triggered li').length === 2`, 5*time.Second)
	b.waitFor("one fires and is announced", `document.querySelector('#toasts .toast') !== null && document.querySelectorAll('#alerts-triggered li[data-status="triggered"]').length >= 1 && document.querySelectorAll('#alerts-active li').length + document.querySelectorAll('#alerts-triggered li').length === 2`, 30*time.Second)
	if n := b.eval(`String(document.querySelectorAll('#alerts-active li').length)`); n == "1" {
		b.do("delete the other one", chromedp.Click(chromedp.CSS(`#alerts-active li button[data-delete]`)))
		b.waitFor("the active list empties", `document.querySelectorAll('#alerts-active li').length === 0 && !document.getElementById('alerts-active-empty').hidden`, 5*time.Second)
	}
	b.promise("the server lists one triggered and no active alert", `Promise.all(['active', 'triggered'].map((s) => fetch('/api/v1/alerts?status=' + s).then((r) => r.json()))).then(([a, t]) => a.alerts.length === 0 && t.alerts.length >= 1)`)

	// Chart and protocol panel.
	b.do("open the chart", chromedp.Click(chromedp.CSS(`#wl-body tr[data-symbol="AAPL"] .sym-btn`)))
	b.waitFor("the chart draws AAPL", `document.getElementById('chart-title').textContent.startsWith('AAPL') && document.querySelectorAll('#chart canvas').length > 0 && document.getElementById('chart-msg').hidden`, 10*time.Second)
	b.checkChart("the chart")
	b.do("open the protocol panel", chromedp.Click(chromedp.CSS(`#protocol summary`)))
	b.waitFor("the protocol panel lists frames and rates", `document.getElementById('protocol').open && document.querySelectorAll('#proto-frames tr').length > 5 && /quotes\/s/.test(document.getElementById('proto-rates').textContent)`, 5*time.Second)
	b.waitFor("the latency is measured", `/^\d+ ms$/.test(document.getElementById('conn-latency').textContent)`, 5*time.Second)

	b.screenshot(filepath.Join(shots, "desktop.png"))
	b.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	b.waitFor("layout settles", `window.innerWidth === 390 && document.documentElement.scrollWidth <= 390`, 5*time.Second)
	b.screenshot(filepath.Join(shots, "phone.png"))
	b.do("dark colour scheme", colorScheme("dark"))
	b.waitFor("the page turns dark", `getComputedStyle(document.body).backgroundColor === 'rgb(14, 17, 23)'`, 5*time.Second)
	b.screenshot(filepath.Join(shots, "phone-dark.png"))
	b.do("desktop width", chromedp.EmulateViewport(1280, 800))
	b.screenshot(filepath.Join(shots, "desktop-dark.png"))
	b.do("light colour scheme", colorScheme("light"))

	// Crash the server: the page notices, then reconnects by itself.
	console.allowNetworkErrors(true)
	b.startRetrySampler()
	srv.Kill(t)
	b.waitFor("the page shows reconnecting", connIs("reconnecting…")+` || `+connIs("offline"), 10*time.Second)
	b.screenshot(filepath.Join(shots, "desktop-reconnecting.png"))
	b.checkPaused(shots)
	srv.Start(t)
	restarted := time.Now()
	b.waitFor("the page is live again", connIs("live"), 45*time.Second)
	b.checkLiveAgain(restarted)
	b.checkChart("the chart after the restart")
	b.shotPanels(shots, map[string]string{".chart-card": "chart-restarted"})
	resumed := b.eval(fmt.Sprintf(`document.querySelector(%q).dataset.seq`, aaplPrice))
	b.waitFor("prices resume", fmt.Sprintf(`document.querySelector(%q).dataset.seq !== %q`, aaplPrice, resumed), 10*time.Second)
	b.waitFor("the position survives the restart", `!!document.querySelector('#pos-body tr[data-symbol="AAPL"]')`, 5*time.Second)
	b.waitFor("the fired alert is still listed as triggered", `document.querySelectorAll('#alerts-triggered li[data-status="triggered"]').length >= 1`, 5*time.Second)

	// WebSockets blocked: after the next crash the page falls back to SSE,
	// and returns to the WebSocket once it can.
	b.do("block WebSockets", blockWebSockets(true))
	srv.Kill(t)
	b.waitFor("the page notices the second crash", connIs("reconnecting…")+` || `+connIs("offline"), 10*time.Second)
	srv.Start(t)
	b.waitFor("the page is live over SSE", connIs("live (SSE fallback)"), 45*time.Second)
	resumed = b.eval(fmt.Sprintf(`document.querySelector(%q).dataset.seq`, aaplPrice))
	b.waitFor("prices arrive over SSE", fmt.Sprintf(`document.querySelector(%q).dataset.seq !== %q`, aaplPrice, resumed), 10*time.Second)
	b.do("unblock WebSockets", blockWebSockets(false))
	b.waitFor("the page is back on the WebSocket", connIs("live"), 45*time.Second)
	console.allowNetworkErrors(false)

	// The session revoked behind the page's back: the server closes the
	// socket with 4001 and the page asks to log in again.
	b.do("order an unknown symbol again",
		clearInput("trade-symbol"),
		chromedp.SendKeys(chromedp.ID("trade-symbol"), "ZZZZ"),
		chromedp.Click(chromedp.ID("trade-submit")))
	b.waitFor("the refusal marks the symbol again", refusedSymbol, 10*time.Second)
	b.promise("revoke the session", `fetch('/api/v1/auth/logout', {method: 'POST'}).then((r) => r.ok)`)
	b.waitFor("the page returns to the login form", `!document.getElementById('auth').hidden && document.getElementById('auth-error').textContent.includes('session ended')`, 10*time.Second)
	b.waitFor("logging out cleared the trade form's refusal", tradeFormClean, 2*time.Second)
	b.waitFor("logging out emptied the trade history", historyRows+` === 0 && document.getElementById('hist-more').hidden`, 2*time.Second)
	b.do("log in again",
		chromedp.SendKeys(chromedp.ID("auth-password"), password+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("search-input")))
	b.waitFor("live after logging in again", connIs("live"), 15*time.Second)

	b.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("auth-form")))
	b.waitFor("the connection is closed", connIs("offline"), 5*time.Second)

	if bad := console.failures(); len(bad) > 0 {
		t.Fatalf("the page logged %d error(s):\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// startingCash is what a new account holds, in cents ($100,000.00).
const startingCash = 10_000_000

var dollars = regexp.MustCompile(`-?\$[0-9,]+\.[0-9]{2}`)

// dollarCents reads the first amount after prefix in text ("$1,234.56",
// as the page writes money) in cents.
func dollarCents(t *testing.T, text, prefix string) int64 {
	t.Helper()
	_, after, ok := strings.Cut(text, prefix)
	m := dollars.FindString(after)
	if !ok || m == "" {
		t.Fatalf("no amount after %q in %q", prefix, text)
	}
	neg := strings.HasPrefix(m, "-")
	digits := strings.NewReplacer("-", "", "$", "", ",", "", ".", "").Replace(m)
	c, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", m, err)
	}
	if neg {
		c = -c
	}
	return c
}

// usd writes cents the way the page does: "$1,234.56".
func usd(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("%s$%s.%02d", sign, whole, cents%100)
}

// portfolioCash reads the cash of a GET /api/v1/portfolio answer, in cents.
func portfolioCash(t *testing.T, body string) int64 {
	t.Helper()
	var p struct {
		Cash json.Number `json:"cash"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("GET /api/v1/portfolio: %v: %s", err, body)
	}
	return dollarCents(t, "$"+p.Cash.String(), "")
}

// checkTotals reads the header and the positions table at one instant (one
// valuation renders all of them) and requires the cash to be cash, every
// position's market value to be its quantity times its last price, the
// one position to hold qty shares, and the total to be the cash plus the
// market values. It returns the total.
func (b *browserSteps) checkTotals(what string, cash, qty int64) int64 {
	b.t.Helper()
	raw := b.eval(`JSON.stringify({
		total: document.getElementById('sum-total').textContent,
		cash: document.getElementById('sum-cash').textContent,
		rows: [...document.querySelectorAll('#pos-body tr')].map((tr) => [...tr.cells].map((td) => td.textContent)),
	})`)
	var page struct {
		Total, Cash string
		Rows        [][]string
	}
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		b.t.Fatalf("%s: %v: %s", what, err, raw)
	}
	if page.Cash != usd(cash) || len(page.Rows) != 1 || len(page.Rows[0]) < 5 {
		b.t.Fatalf("%s: cash %q and positions %q, want cash %s and one position", what, page.Cash, page.Rows, usd(cash))
	}
	row := page.Rows[0] // symbol, quantity, average cost, last price, market value, P&L
	held, err := strconv.ParseInt(strings.ReplaceAll(row[1], ",", ""), 10, 64)
	last, value := dollarCents(b.t, row[3], ""), dollarCents(b.t, row[4], "")
	if err != nil || held != qty || value != held*last {
		b.t.Fatalf("%s: position %q, want %d shares with a market value of quantity × last price", what, row, qty)
	}
	total := dollarCents(b.t, page.Total, "")
	if total != cash+value {
		b.t.Fatalf("%s: total %s, want cash %s + market value %s = %s", what, page.Total, usd(cash), usd(value), usd(cash+value))
	}
	return total
}

// clearInput empties a text input the way a user's select-all + delete would.
func clearInput(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); })()`, id))
}

// webSocketSwitch runs before the page's own scripts and lets the test make
// every new WebSocket fail the way a proxy that refuses upgrades would: the
// handshake goes to a path the server answers with 404, so the page sees
// close 1006 before open. (DevTools request blocking does not cover
// WebSockets.)
const webSocketSwitch = `(() => {
	const Real = window.WebSocket;
	function Switchable(url, protocols) {
		return new Real(window.__refuseWebSockets ? String(url).replace('/api/v1/ws', '/api/v1/ws-refused') : url, protocols);
	}
	Switchable.prototype = Real.prototype;
	Object.assign(Switchable, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
	window.WebSocket = Switchable;
})();`

func installWebSocketSwitch() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: webSocketSwitch})
		return err
	})
}

// blockWebSockets makes new WebSockets of the page fail (or work again).
func blockWebSockets(block bool) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__refuseWebSockets = %t`, block))
}

// colorScheme emulates the system's light or dark preference.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

func connIs(state string) string {
	return fmt.Sprintf(`document.getElementById('conn-state').textContent === %q`, state)
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside a Go module")
	}
	return filepath.Dir(gomod)
}

// missingPrerequisite skips the test, saying what is missing and how to get
// it, or fails it when the CI variable is set.
func missingPrerequisite(t *testing.T, why string) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" {
		if on, err := strconv.ParseBool(ci); err != nil || on {
			t.Fatalf("CI=%s and %s", ci, why)
		}
	}
	t.Skip(why)
}

// errNoBrowser: none of the browsers findBrowser looks for is installed.
var errNoBrowser = errors.New("no Chromium found")

// findBrowser returns the browser to drive: $CHROMIUM, else $CHROME (a path,
// or a name looked up on PATH), else the first of chromium,
// chromium-browser and google-chrome found on PATH. A variable that names
// nothing runnable is an error of its own, not a reason to try the next.
func findBrowser() (string, error) {
	for _, v := range []string{"CHROMIUM", "CHROME"} {
		if name := os.Getenv(v); name != "" {
			path, err := exec.LookPath(name)
			if err != nil {
				return "", fmt.Errorf("$%s: %w", v, err)
			}
			return path, nil
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errNoBrowser
}

func TestFindBrowser(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "my-chrome"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	only := func(names ...string) string { // a PATH directory holding just names
		t.Helper()
		dir := t.TempDir()
		for _, n := range names {
			if err := os.Symlink(filepath.Join(bin, n), filepath.Join(dir, n)); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	elsewhere := filepath.Join(bin, "my-chrome")
	tests := []struct {
		name             string
		path             string // PATH
		chromium, chrome string // $CHROMIUM, $CHROME
		want             string // a file name in want's PATH directory, or a full path
		wantErr          string // "" means no error; errNoBrowser's text means nothing found
	}{
		{"chromium on PATH", only("chromium", "chromium-browser", "google-chrome"), "", "", "chromium", ""},
		{"chromium-browser on PATH", only("chromium-browser", "google-chrome"), "", "", "chromium-browser", ""},
		{"google-chrome on PATH", only("google-chrome"), "", "", "google-chrome", ""},
		{"nothing on PATH", only(), "", "", "", errNoBrowser.Error()},
		{"$CHROMIUM a path", only("chromium"), elsewhere, "", elsewhere, ""},
		{"$CHROMIUM a name on PATH", only("chromium", "my-chrome"), "my-chrome", "", "my-chrome", ""},
		{"$CHROMIUM before $CHROME", only("chromium"), elsewhere, "chromium", elsewhere, ""},
		{"$CHROME", only("chromium"), "", elsewhere, elsewhere, ""},
		{"$CHROMIUM names nothing", only("chromium"), "/nonexistent/chromium", "", "", "$CHROMIUM"},
		{"$CHROME names nothing", only("chromium"), "", "no-such-chrome", "", "$CHROME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv("CHROMIUM", tt.chromium)
			t.Setenv("CHROME", tt.chrome)
			got, err := findBrowser()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("findBrowser() = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				if errors.Is(err, errNoBrowser) != (tt.wantErr == errNoBrowser.Error()) {
					t.Fatalf("error %v: errors.Is(errNoBrowser) is wrong", err)
				}
				return
			}
			want := tt.want
			if !filepath.IsAbs(want) {
				want = filepath.Join(tt.path, want)
			}
			if err != nil || got != want {
				t.Fatalf("findBrowser() = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// newBrowser starts the headless browser at path with the flags this
// machine needs.
func newBrowser(t *testing.T, parent context.Context, path string) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// pageLog collects what the page writes to its console. Exceptions,
// console.error and browser errors fail the test; network errors only while
// the server is deliberately down.
type pageLog struct {
	mu        sync.Mutex
	bad       []string
	allowNet  atomic.Bool
	netErrors atomic.Int64
}

func (p *pageLog) watch(t *testing.T, ctx context.Context) {
	t.Helper()
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			t.Logf("console %s (%s)", m, m.URL)
			switch {
			case m.IsException():
				p.add(fmt.Sprintf("exception: %s (%s:%d)", m.Text, m.URL, m.Line+1))
			case m.Type != chromedp.ConsoleError:
			case m.Source == "network" && provoked(m):
				// An error the test asks for.
			case m.Source == "network" && p.allowNet.Load():
				p.netErrors.Add(1)
			default:
				p.add(fmt.Sprintf("error [%s]: %s (%s:%d)", m.Source, m.Text, m.URL, m.Line+1))
			}
		}
	}()
	t.Cleanup(func() { <-done })
}

// provokedStatuses are the error answers the test asks for, by path: the
// page's session check before anyone is logged in, the password that is
// too short and the buy beyond the cash. Any other error status fails the
// test.
var provokedStatuses = map[string]int{
	"/api/v1/me":               http.StatusUnauthorized,
	"/api/v1/auth/register":    http.StatusUnprocessableEntity,
	"/api/v1/portfolio/trades": http.StatusUnprocessableEntity,
	"/api/v1/alerts":           http.StatusUnprocessableEntity, // already_triggered when the price moved past: setAlert retries
}

var responseStatus = regexp.MustCompile(`the server responded with a status of (\d{3})\b`)

// provoked reports whether m is the browser logging one of provokedStatuses.
func provoked(m chromedp.ConsoleMessage) bool {
	u, err := url.Parse(m.URL)
	if err != nil {
		return false
	}
	want, ok := provokedStatuses[u.Path]
	sm := responseStatus.FindStringSubmatch(m.Text)
	return ok && sm != nil && sm[1] == strconv.Itoa(want)
}

func (p *pageLog) allowNetworkErrors(on bool) { p.allowNet.Store(on) }

func (p *pageLog) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bad = append(p.bad, s)
}

func (p *pageLog) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// browserSteps runs named steps and fails the test with the step's name.
type browserSteps struct {
	t   *testing.T
	ctx context.Context
}

func (b *browserSteps) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

// waitFor polls a JavaScript condition in the page until it holds.
func (b *browserSteps) waitFor(step, cond string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool]("(() => { try { return !!("+cond+"); } catch (e) { return false; } })()",
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail(step, err)
	}
}

// promise awaits a JavaScript promise in the page and requires it to yield true.
func (b *browserSteps) promise(step, expr string) {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
	if err == nil && !ok {
		err = errors.New("the promise yielded false")
	}
	if err != nil {
		b.fail(step, err)
	}
}

// await evaluates a JavaScript promise in the page and returns the string
// it yields.
func (b *browserSteps) await(step, expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

func (b *browserSteps) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.fail("evaluate "+expr, err)
	}
	return v
}

func (b *browserSteps) text(sel string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

func (b *browserSteps) screenshot(path string) {
	b.t.Helper()
	// From the top: scrolled, the sticky header lands mid-page in the capture.
	b.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// setAlert sets an alert offset cents away from AAPL's price through the
// alert form, trying again when the price moved past it meanwhile
// (already_triggered).
func (b *browserSteps) setAlert(condition string, offset int64) {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		body := b.await("read AAPL's price", `fetch('/api/v1/quotes?symbols=AAPL').then((r) => r.text())`)
		var q struct {
			Quotes []struct {
				Price json.Number `json:"price"`
			} `json:"quotes"`
		}
		if err := json.Unmarshal([]byte(body), &q); err != nil || len(q.Quotes) != 1 {
			b.t.Fatalf("quotes %s: %v", body, err)
		}
		v := dollarCents(b.t, "$"+q.Quotes[0].Price.String(), "") + offset
		b.do("set an alert "+condition,
			chromedp.SetValue(chromedp.ID("alert-condition"), condition),
			clearInput("alert-value"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('alert-result').textContent = ''`),
			chromedp.SendKeys(chromedp.ID("alert-value"), fmt.Sprintf("%d.%02d", v/100, v%100)),
			chromedp.Click(chromedp.ID("alert-submit")))
		b.waitFor("the alert is answered", `/^[✓✗]/.test(document.getElementById('alert-result').textContent)`, 10*time.Second)
		result := b.text("#alert-result")
		if strings.HasPrefix(result, "✓") {
			return
		}
		if attempt < 5 && strings.Contains(result, "already_triggered") {
			continue
		}
		b.t.Fatalf("set an alert %s at %s: %s", condition, usd(v), result)
	}
}

func (b *browserSteps) fail(step string, err error) {
	b.t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("timed out: %w", err)
	}
	state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('conn-state').textContent + ' | ' + document.getElementById('conn-reason').textContent + ' | ' + document.getElementById('trade-result').textContent + ' | ' + document.getElementById('auth-error').textContent`))
	b.t.Fatalf("%s: %v (page state: %s)", step, err, state)
}
