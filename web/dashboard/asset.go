package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// contentTypes covers the file types the dashboard ships; the system's MIME
// tables are not consulted so the answer is the same on every machine.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
}

// asset is one file ready to serve: its bytes, a gzip copy when that pays,
// and a strong ETag derived from the content.
type asset struct {
	body    []byte
	gz      []byte
	ctype   string
	version string // first 12 hex digits of the content's SHA-256
	etag    string
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	hexsum := hex.EncodeToString(sum[:])
	a := &asset{body: body, ctype: contentTypes[path.Ext(name)], version: hexsum[:12], etag: `"` + hexsum[:32] + `"`}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if len(body) >= gzipMinBytes && !strings.HasPrefix(a.ctype, "image/png") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// serveAsset writes a with validators and security headers. A request for
// the asset's current version (?v=) may be cached for a year; anything else
// must be revalidated, which its strong ETag makes cheap (304).
func serveAsset(c *fiber.Ctx, a *asset, versioned bool) error {
	setPageSecurityHeaders(c)
	if versioned {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	body, etag := a.body, a.etag
	if a.gz != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			body = a.gz
			etag = etag[:len(etag)-1] + `-gz"`
			c.Set(fiber.HeaderContentEncoding, "gzip")
		}
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderContentType, a.ctype)
	if ETagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		return c.SendStatus(http.StatusNotModified)
	}
	return c.Send(body)
}

// hostPattern is what a Host header may look like to be echoed into the CSP.
var hostPattern = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// setPageSecurityHeaders sets a strict Content-Security-Policy (only this
// origin's scripts and styles, no inline script, WebSockets only back to
// this host) and the usual hardening headers.
func setPageSecurityHeaders(c *fiber.Ctx) {
	connect := "'self'"
	if host := c.Hostname(); hostPattern.MatchString(host) {
		if c.Protocol() != "https" { // a page served over TLS connects over TLS only
			connect += " ws://" + host
		}
		connect += " wss://" + host
	}
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self'; font-src 'self'; connect-src "+connect+"; object-src 'none'; base-uri 'none'; "+
		"form-action 'self'; frame-ancestors 'none'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// ETagMatches implements If-None-Match's weak comparison of header against
// etag: true when the header lists etag (with or without W/) or is "*".
func ETagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, cand := range strings.Split(header, ",") {
		cand = strings.TrimSpace(cand)
		if cand == "*" || strings.TrimPrefix(cand, "W/") == etag {
			return true
		}
	}
	return false
}
