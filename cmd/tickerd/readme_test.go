package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEMatchesTheBinary: the README's configuration table names every
// flag (a `-prefix-*` row covers a family), and its set-up line names the
// Go version go.mod requires, so a new user is not told something the
// binary or the toolchain contradicts.
func TestREADMEMatchesTheBinary(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	families := regexp.MustCompile("`(-[a-z0-9-]+-)\\*`").FindAllStringSubmatch(text, -1)
	fs.VisitAll(func(f *flag.Flag) {
		if strings.Contains(text, "`-"+f.Name+"`") {
			return
		}
		for _, fam := range families {
			if strings.HasPrefix("-"+f.Name, fam[1]) {
				return
			}
		}
		t.Errorf("README's configuration table lacks -%s", f.Name)
	})

	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	if !strings.Contains(text, "Go "+string(m[1])) {
		t.Errorf("README does not name the Go version go.mod requires (%s)", m[1])
	}
}
