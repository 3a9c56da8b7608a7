package dashboard_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMakeAssetsWithoutNPM: `make assets` (and so `make run` and `make
// test`) works on a machine without npm, saying in one line that the charts
// are off, and does not call npm when the chart library is already newer
// than the lock file.
func TestMakeAssetsWithoutNPM(t *testing.T) {
	makePath, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	root := moduleRoot(t)
	bin := t.TempDir() // a PATH with the shell's tools but no npm
	for _, tool := range []string{"sh", "cp", "mkdir"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed", tool)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	run := func(vendor string) string {
		t.Helper()
		cmd := exec.Command(makePath, "--no-print-directory", "-C", root, "assets", "CHART_VENDOR="+vendor)
		cmd.Env = []string{"PATH=" + bin}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make assets without npm: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}

	missing := filepath.Join(t.TempDir(), "vendor", "lightweight-charts.js")
	if out := run(missing); !strings.Contains(out, "charts are off") || strings.Count(out, "\n") > 0 {
		t.Errorf("without the library and npm, make assets said %q; want one line saying the charts are off", out)
	}

	fresh := filepath.Join(t.TempDir(), "lightweight-charts.js")
	if err := os.WriteFile(fresh, []byte("var LightweightCharts={};"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour) // newer than any checkout's lock file
	if err := os.Chtimes(fresh, future, future); err != nil {
		t.Fatal(err)
	}
	if out := run(fresh); out != "" {
		t.Errorf("with an up-to-date library, make assets said %q; want nothing (npm not run)", out)
	}
}
