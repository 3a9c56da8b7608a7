package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitState runs git on a scratch repository: the commit is HEAD's, and
// the tree is dirty while a tracked file differs from it or an untracked,
// unignored file exists.
func TestGitState(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir)) // no repository above dir counts
	if commit, dirty := gitState(ctx, dir); commit != "" || dirty {
		t.Fatalf("outside a repository: %q, dirty %v; want no commit", commit, dirty)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("a.go", "package a\n")
	write(".gitignore", "out/\n")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	head := git("rev-parse", "--short=12", "HEAD")

	steps := []struct {
		name   string
		change func()
		dirty  bool
	}{
		{"clean", func() {}, false},
		{"ignored file", func() {
			if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
				t.Fatal(err)
			}
			write("out/x.json", "{}")
		}, false},
		{"tracked file changed", func() { write("a.go", "package a // changed\n") }, true},
		{"change staged", func() { git("add", "a.go") }, true},
		{"committed", func() { git("commit", "-q", "-m", "second"); head = git("rev-parse", "--short=12", "HEAD") }, false},
		{"untracked file", func() { write("b.go", "package a\n") }, true},
	}
	for _, st := range steps {
		st.change()
		if commit, dirty := gitState(ctx, dir); commit != head || dirty != st.dirty {
			t.Fatalf("%s: %q, dirty %v; want %q, dirty %v", st.name, commit, dirty, head, st.dirty)
		}
	}
}

// TestRenderCommit: the report's first lines name the commit the figures
// were measured at and warn when it was not a clean one.
func TestRenderCommit(t *testing.T) {
	tests := []struct {
		name          string
		commit        string
		dirty         bool
		header, table string
		warning       string // "" means none
	}{
		{"clean", "abcdef123456", false,
			"on 2026-11-20 12:00 UTC at commit `abcdef123456`.\n", "| Commit | abcdef123456 |", ""},
		{"dirty", "abcdef123456", true,
			"on 2026-11-20 12:00 UTC at commit `abcdef123456` with uncommitted changes.\n",
			"| Commit | abcdef123456 (with uncommitted changes) |", "> **Not a clean commit:**"},
		{"unknown", "", false,
			"on 2026-11-20 12:00 UTC at an unknown commit.\n", "| Commit | unknown |", "> **Unknown commit:**"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadFixture(t)
			r.Machine.Commit, r.Machine.Dirty = tt.commit, tt.dirty
			md := render(r, "", "bench")
			head, _, _ := strings.Cut(md, "## Machine")
			if !strings.Contains(head, tt.header) {
				t.Errorf("header lacks %q:\n%s", tt.header, head)
			}
			if !strings.Contains(md, tt.table) {
				t.Errorf("machine table lacks %q", tt.table)
			}
			if got := strings.Contains(head, "> **"); got != (tt.warning != "") || !strings.Contains(head, tt.warning) {
				t.Errorf("header warning: want %q:\n%s", tt.warning, head)
			}
		})
	}
}

// TestReadResultsLegacyCommit: results written before the dirty field
// marked a dirty tree in the commit text; reading them sets Dirty.
func TestReadResultsLegacyCommit(t *testing.T) {
	for _, tt := range []struct {
		commit, want string
		dirty        bool
	}{
		{"07966ca6f387 (with uncommitted changes)", "07966ca6f387", true},
		{"07966ca6f387", "07966ca6f387", false},
	} {
		path := filepath.Join(t.TempDir(), "results.json")
		if err := os.WriteFile(path, []byte(`{"machine":{"commit":"`+tt.commit+`"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := readResults(path)
		if err != nil {
			t.Fatal(err)
		}
		if r.Machine.Commit != tt.want || r.Machine.Dirty != tt.dirty {
			t.Errorf("commit %q: read %q, dirty %v; want %q, dirty %v", tt.commit, r.Machine.Commit, r.Machine.Dirty, tt.want, tt.dirty)
		}
	}
}
