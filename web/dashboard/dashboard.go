// Package dashboard is tickerd's web page: the embedded HTML, CSS and
// JavaScript, served with content-hashed URLs, strong ETags, gzip and a
// strict Content-Security-Policy. It talks to the server only through the
// public REST API and streams, like any other client.
package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

// staticFiles is the dashboard: index.html (a template), CSS, JavaScript
// modules, and vendor/ when the build step fetched the chart library. The
// whole directory is embedded, so the binary builds without vendor/ too.
//
//go:embed static
var staticFiles embed.FS

const (
	staticPrefix = "/static/"
	// chartLibrary is the chart library's path under static/, copied there by
	// `make assets`; without it the page explains that the chart is missing.
	chartLibrary  = "vendor/lightweight-charts.js"
	indexTemplate = "index.html"
	gzipMinBytes  = 1024
)

// Dashboard is the loaded page: every static asset by its path under
// static/, and index.html rendered with versioned asset URLs.
type Dashboard struct {
	assets map[string]*asset
	index  *asset
}

// Load reads the embedded dashboard and renders its page. It fails only on
// a broken build (a template or asset reference that does not resolve).
func Load() (*Dashboard, error) {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("load dashboard: %w", err)
	}
	return load(sub)
}

// load reads fsys (the contents of static/) and renders the index.
// Asset URLs in the index carry ?v=<content hash>, so a changed file gets a
// new URL and an unchanged one may be cached for good.
func load(fsys fs.FS) (*Dashboard, error) {
	d := &Dashboard{assets: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || name == indexTemplate {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		d.assets[name] = newAsset(name, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load dashboard assets: %w", err)
	}
	src, err := fs.ReadFile(fsys, indexTemplate)
	if err != nil {
		return nil, fmt.Errorf("load dashboard: %w", err)
	}
	tmpl, err := template.New(indexTemplate).Funcs(template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := d.assets[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return staticPrefix + name + "?v=" + a.version, nil
		},
		"has": func(name string) bool { return d.assets[name] != nil },
	}).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", indexTemplate, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("render %s: %w", indexTemplate, err)
	}
	d.index = newAsset(indexTemplate, buf.Bytes())
	return d, nil
}

// Register serves the page at / and its assets under /static/. A path
// under /static/ that names no asset is fiber.ErrNotFound, for the
// application's error handler to answer.
func (d *Dashboard) Register(r fiber.Router) {
	r.Get("/", func(c *fiber.Ctx) error {
		return serveAsset(c, d.index, false)
	})
	r.Get(staticPrefix+"*", func(c *fiber.Ctx) error {
		a := d.assets[c.Params("*")]
		if a == nil {
			return fiber.ErrNotFound
		}
		return serveAsset(c, a, c.Query("v") == a.version)
	})
}
