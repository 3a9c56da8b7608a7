package dashboard_test

// Steps of TestDashboardEndToEnd for the trade history panel, the trade
// form's error state, the stale-prices bar and the chart's scales.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pageProbes runs before the page's scripts: it counts the WebSockets the
// page opens (window.__wsAttempts) and keeps the charts the page creates
// with their series (window.__charts), so the test can read their options.
const pageProbes = `(() => {
	const Inner = window.WebSocket;
	window.__wsAttempts = 0;
	function Counting(url, protocols) { window.__wsAttempts++; return new Inner(url, protocols); }
	Counting.prototype = Inner.prototype;
	Object.assign(Counting, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
	window.WebSocket = Counting;

	window.__charts = [];
	let lib;
	Object.defineProperty(window, 'LightweightCharts', {
		configurable: true,
		get() { return lib; },
		set(v) {
			lib = Object.assign({}, v, {
				createChart(...args) {
					const chart = v.createChart(...args);
					const entry = {chart, series: []};
					window.__charts.push(entry);
					const add = chart.addSeries.bind(chart);
					chart.addSeries = (...a) => { const s = add(...a); entry.series.push(s); return s; };
					return chart;
				},
			});
		},
	});
})();`

func installPageProbes() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageProbes})
		return err
	})
}

// tradeFormClean: no refusal shown and no field marked invalid.
const tradeFormClean = `(() => {
	const r = document.getElementById('trade-result');
	return !r.classList.contains('err') && r.textContent === '' &&
		!document.getElementById('trade-symbol').hasAttribute('aria-invalid') &&
		!document.getElementById('trade-qty').hasAttribute('aria-invalid');
})()`

// refusedSymbol: the form shows an unknown_symbol refusal and marks the symbol.
const refusedSymbol = `(() => {
	const r = document.getElementById('trade-result');
	const code = r.querySelector('code');
	return r.classList.contains('err') && code && code.textContent === 'unknown_symbol' &&
		document.getElementById('trade-symbol').getAttribute('aria-invalid') === 'true';
})()`

// historyRows is the number of rows in the trade history panel.
const historyRows = `document.querySelectorAll('#hist-body tr').length`

// checkHistory compares the trade history panel with GET
// /api/v1/portfolio/trades: the same trades in the same order (newest
// first), the money exactly as the API gives it with two decimals.
func (b *browserSteps) checkHistory(what string, rows int) {
	b.t.Helper()
	b.waitFor(what+": the panel lists "+strconv.Itoa(rows)+" trades", fmt.Sprintf(`%s === %d`, historyRows, rows), 10*time.Second)
	raw := b.await(what+": read GET /api/v1/portfolio/trades", `fetch('/api/v1/portfolio/trades?limit=100').then((r) => r.text())`)
	var api struct {
		Trades []struct {
			ID        int64       `json:"id"`
			Symbol    string      `json:"symbol"`
			Side      string      `json:"side"`
			Quantity  int64       `json:"quantity"`
			Price     json.Number `json:"price"`
			Amount    json.Number `json:"amount"`
			CashAfter json.Number `json:"cash_after"`
			Time      string      `json:"time"`
		} `json:"trades"`
	}
	if err := json.Unmarshal([]byte(raw), &api); err != nil {
		b.t.Fatalf("%s: GET /api/v1/portfolio/trades: %v: %s", what, err, raw)
	}
	pageRaw := b.eval(`JSON.stringify([...document.querySelectorAll('#hist-body tr')].map((tr) =>
		[tr.dataset.id, tr.querySelector('time').dateTime, ...[...tr.cells].slice(1).map((td) => td.textContent)]))`)
	var got [][]string
	if err := json.Unmarshal([]byte(pageRaw), &got); err != nil {
		b.t.Fatalf("%s: %v: %s", what, err, pageRaw)
	}
	if len(got) != rows || len(api.Trades) < rows {
		b.t.Fatalf("%s: the panel has %d rows and the API %d trades, want %d of each", what, len(got), len(api.Trades), rows)
	}
	money := func(n json.Number) string { return usd(dollarCents(b.t, "$"+n.String(), "")) }
	for i, row := range got {
		tr := api.Trades[i]
		side := map[string]string{"buy": "Buy", "sell": "Sell"}[tr.Side]
		want := []string{strconv.FormatInt(tr.ID, 10), tr.Time, side, tr.Symbol, strconv.FormatInt(tr.Quantity, 10),
			money(tr.Price), money(tr.Amount), money(tr.CashAfter)}
		if strings.Join(row, "|") != strings.Join(want, "|") {
			b.t.Fatalf("%s: row %d is %q, want %q (GET /api/v1/portfolio/trades, newest first)", what, i, row, want)
		}
	}
}

// tradeElsewhere places trades through the API from the page's script,
// not its form: as another tab or device would. It buys one AAPL share
// buys times, then sells sell shares.
func (b *browserSteps) tradeElsewhere(buys, sell int) {
	b.t.Helper()
	b.promise(fmt.Sprintf("%d trades placed outside the form", buys+1), fmt.Sprintf(`(async () => {
		const order = (side, quantity) => fetch('/api/v1/portfolio/trades', {method: 'POST',
			headers: {'Content-Type': 'application/json'}, body: JSON.stringify({symbol: 'AAPL', side, quantity})});
		for (let i = 0; i < %d; i++) if ((await order('buy', 1)).status !== 201) return false;
		return (await order('sell', %d)).status === 201;
	})()`, buys, sell))
}

// shotPanels saves element screenshots of the given panels (CSS selector →
// file name stem) at desktop and phone width, light and dark, and leaves the
// page at desktop width in the light scheme.
func (b *browserSteps) shotPanels(dir string, panels map[string]string) {
	b.t.Helper()
	for _, v := range []struct {
		name   string
		width  int64
		height int64
		phone  bool
		scheme string
	}{
		{"desktop", 1280, 800, false, "light"},
		{"desktop-dark", 1280, 800, false, "dark"},
		{"phone", 390, 844, true, "light"},
		{"phone-dark", 390, 844, true, "dark"},
	} {
		opts := []chromedp.EmulateViewportOption{}
		if v.phone {
			opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		b.do(v.name+" for the panel screenshots", chromedp.EmulateViewport(v.width, v.height, opts...), colorScheme(v.scheme))
		b.waitFor("layout settles", fmt.Sprintf(`window.innerWidth === %d && document.documentElement.scrollWidth <= %d`, v.width, v.width), 5*time.Second)
		for sel, stem := range panels {
			b.waitFor(sel+": its flashes end", fmt.Sprintf(`document.getAnimations().every((a) => a.playState !== 'running' || !a.effect.target.closest(%q))`, sel), 5*time.Second)
			png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(sel)))
			if err != nil {
				b.fail("screenshot "+sel, err)
			}
			b.save(filepath.Join(dir, stem+"-"+v.name+".png"), png)
		}
	}
	b.do("back to desktop, light, at the top", chromedp.EmulateViewport(1280, 800), colorScheme("light"),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
}

// startRetrySampler records, every 100 ms, the largest "retry in N s" the
// connection indicator shows (window.__maxRetry).
func (b *browserSteps) startRetrySampler() {
	b.t.Helper()
	b.do("sample the retry countdown", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__maxRetry = 0;
		clearInterval(window.__retrySampler);
		window.__retrySampler = setInterval(() => {
			const m = /retry in (\d+) s/.exec(document.getElementById('conn-reason').textContent);
			if (m) window.__maxRetry = Math.max(window.__maxRetry, Number(m[1]));
		}, 100);
	})()`))
}

// maxBackoff is the longest wait between reconnect attempts the page may
// show, in seconds.
const maxBackoff = 5

// checkPaused runs while the server is down: the prices are marked stale,
// and "Reconnect now", the window regaining focus, the tab becoming visible
// and the browser going online each start an attempt at once, without
// waiting out the backoff.
func (b *browserSteps) checkPaused(shots string) {
	b.t.Helper()
	b.waitFor("the prices are marked paused", `!document.getElementById('paused').hidden && document.body.dataset.prices === 'stale' &&
		/^\d\d:\d\d:\d\d$/.test(document.getElementById('paused-since').textContent)`, 10*time.Second)
	b.waitFor("the watchlist price is dimmed", `getComputedStyle(document.querySelector('#wl-body td.price')).opacity < 0.6`, 2*time.Second)
	b.screenshot(filepath.Join(shots, "desktop-paused.png"))
	b.shotPanels(shots, map[string]string{"#paused": "paused-bar", ".watchlist": "paused-watchlist"})
	triggers := []struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"Reconnect now", chromedp.Click(chromedp.ID("paused-retry"))},
		{"the window regains focus", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event('focus'))`)},
		{"the tab becomes visible", chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event('visibilitychange'))`)},
		{"the browser goes online", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event('online'))`)},
	}
	for _, tr := range triggers {
		// Wait until the next scheduled attempt is over two seconds away, so
		// that an attempt within 800 ms can only be the trigger's.
		b.waitFor("a retry scheduled well ahead, before "+tr.name,
			`(() => { const m = /retry in (\d+) s/.exec(document.getElementById('conn-reason').textContent); return m && Number(m[1]) >= 3 && !document.getElementById('paused-retry').disabled; })()`,
			40*time.Second)
		before := b.eval(`String(window.__wsAttempts)`)
		b.do(tr.name, tr.action)
		b.waitFor(tr.name+" starts an attempt at once", fmt.Sprintf(`window.__wsAttempts > %s`, before), 800*time.Millisecond)
	}
}

// checkLiveAgain runs once the restarted server is up (since restarted):
// the page is live within the capped backoff, the stale marks are gone, and
// the countdown never promised a longer wait than the cap.
func (b *browserSteps) checkLiveAgain(restarted time.Time) {
	b.t.Helper()
	if took := time.Since(restarted); took > (maxBackoff+3)*time.Second {
		b.t.Fatalf("the page took %v to go live after the server was back, want at most the %d s backoff cap and a connect", took.Round(time.Millisecond), maxBackoff)
	}
	b.waitFor("the paused marks are gone", `document.getElementById('paused').hidden && !document.body.dataset.prices`, 5*time.Second)
	if longest := b.eval(`String(window.__maxRetry)`); longest == "0" {
		b.t.Fatal("the retry countdown was never shown while the server was down")
	} else if n, _ := strconv.Atoi(longest); n > maxBackoff {
		b.t.Fatalf("the page waited up to %d s between reconnect attempts, want at most %d s", n, maxBackoff)
	}
	b.do("stop sampling", chromedp.Evaluate[chromedp.Void](`clearInterval(window.__retrySampler)`))
}

// checkChart reads the candle chart's options and visible range through the
// chart object: the newest price has no label on the scale (it would cover
// a price label; the card's header shows it), edge labels are drawn only
// whole, the time scale cannot scroll left of the first candle and keeps
// room right of the newest, and the view starts at the first candle drawn:
// only there does the library keep the first time label inside the pane.
// The labels themselves are drawn on a canvas, so their geometry is not
// checked.
func (b *browserSteps) checkChart(what string) {
	b.t.Helper()
	b.waitFor(what+": candles drawn", `window.__charts.length > 0 && window.__charts.at(-1).series.length > 0 && window.__charts.at(-1).series[0].data().length > 0`, 10*time.Second)
	raw := b.eval(`(() => {
		const e = window.__charts.at(-1), c = e.chart, s = e.series[0];
		const ts = c.timeScale().options(), ps = c.priceScale('right').options(), so = s.options();
		const r = c.timeScale().getVisibleLogicalRange();
		return JSON.stringify({fixLeftEdge: ts.fixLeftEdge, rightOffset: ts.rightOffset, entireTextOnly: ps.entireTextOnly,
			top: ps.scaleMargins.top, bottom: ps.scaleMargins.bottom, lastValueVisible: so.lastValueVisible,
			priceLineVisible: so.priceLineVisible, from: r ? r.from : null, bars: s.data().length});
	})()`)
	var got struct {
		FixLeftEdge, EntireTextOnly, LastValueVisible, PriceLineVisible bool
		RightOffset, Top, Bottom                                        float64
		From                                                            *float64
		Bars                                                            int
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		b.t.Fatalf("%s: %v: %s", what, err, raw)
	}
	switch {
	case got.LastValueVisible || !got.PriceLineVisible:
		b.t.Fatalf("%s: %s: want the last value's line without its scale label", what, raw)
	case !got.EntireTextOnly || got.Top < 0.05 || got.Bottom < 0.05:
		b.t.Fatalf("%s: %s: want whole edge labels and margins of at least 5%%", what, raw)
	case !got.FixLeftEdge || got.RightOffset < 1:
		b.t.Fatalf("%s: %s: want the left edge fixed and a right offset", what, raw)
	case got.From == nil || *got.From < -1 || *got.From > 0.5:
		b.t.Fatalf("%s: %s: want the view to start at the first candle drawn", what, raw)
	}
	b.t.Logf("%s: %s", what, raw)
}

// save writes a screenshot.
func (b *browserSteps) save(path string, png []byte) {
	b.t.Helper()
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}
