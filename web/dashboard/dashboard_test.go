package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
)

// dashboardOnly is an app with nothing but the dashboard routes.
func dashboardOnly(t *testing.T) *fiber.App {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	d.Register(app)
	return app
}

func get(t *testing.T, app *fiber.App, target string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Host = "127.0.0.1:8080"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", target, err)
	}
	_ = res.Body.Close()
	return res, string(body)
}

var versionedRef = regexp.MustCompile(`(?:src|href)="(/static/[^"?]+)\?v=([0-9a-f]{12})"`)

func TestDashboardServesPageWithStrictCSP(t *testing.T) {
	app := dashboardOnly(t)
	res, body := get(t, app, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';", "connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
		t.Errorf("page caching: Cache-Control %q, ETag %q", res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
	}
	// No inline script or handler: every <script> has a src, no on*= attributes.
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("inline script tag %q", tag)
		}
	}
	if m := regexp.MustCompile(`\son[a-z]+=`).FindString(body); m != "" {
		t.Errorf("inline event handler %q", m)
	}
	refs := versionedRef.FindAllStringSubmatch(body, -1)
	if len(refs) < 3 {
		t.Fatalf("expected versioned asset URLs in the page, found %v", refs)
	}
	for _, ref := range refs {
		url, version := ref[1], ref[2]
		res, _ := get(t, app, url+"?v="+version, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", url, res.StatusCode)
			continue
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s?v=%s Cache-Control %q, want immutable", url, version, cc)
		}
	}
}

func TestDashboardAssetValidation(t *testing.T) {
	app := dashboardOnly(t)
	res, body := get(t, app, "/static/js/main.js", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "import") {
		t.Fatalf("GET main.js = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned Cache-Control = %q, want no-cache", cc)
	}
	etag := res.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("ETag %q is not a strong content hash", etag)
	}
	res, body = get(t, app, "/static/js/main.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("If-None-Match current = %d with %d bytes, want 304 and empty", res.StatusCode, len(body))
	}
	res, _ = get(t, app, "/static/js/main.js", map[string]string{"If-None-Match": `"0123"`})
	if res.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match stale = %d, want 200", res.StatusCode)
	}
	res, _ = get(t, app, "/static/js/main.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") == etag {
		t.Errorf("gzip: Content-Encoding %q, ETag %q (identity %q)", res.Header.Get("Content-Encoding"), res.Header.Get("ETag"), etag)
	}
	for _, target := range []string{"/static/nope.js", "/static/../go.mod", "/static/", "/static/index.html"} {
		res, body := get(t, app, target, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d %s, want 404", target, res.StatusCode, body)
		}
	}
}

func TestDashboardWithoutChartLibrary(t *testing.T) {
	page := `<script src="{{asset "js/main.js"}}"></script>{{if has "vendor/lightweight-charts.js"}}<script src="{{asset "vendor/lightweight-charts.js"}}"></script>{{end}}`
	tests := []struct {
		name      string
		vendor    bool
		wantChart bool
	}{
		{"without vendor", false, false},
		{"with vendor", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"index.html": {Data: []byte(page)},
				"js/main.js": {Data: []byte("export {};")},
			}
			if tc.vendor {
				fsys["vendor/lightweight-charts.js"] = &fstest.MapFile{Data: []byte("var LightweightCharts={};")}
			}
			d, err := load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			html := string(d.index.body)
			if got := strings.Contains(html, "/static/vendor/lightweight-charts.js?v="); got != tc.wantChart {
				t.Errorf("chart script in page = %v, want %v: %s", got, tc.wantChart, html)
			}
			if !strings.Contains(html, "/static/js/main.js?v=") {
				t.Errorf("page lacks main.js: %s", html)
			}
		})
	}
	if _, err := load(fstest.MapFS{"index.html": {Data: []byte(`{{asset "missing.js"}}`)}}); err == nil {
		t.Error("a page naming a missing asset loaded without error")
	}
}
