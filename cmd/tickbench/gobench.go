package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// goBenchRuns are the feed benchmarks: the hub and the subscriber's frame
// packing, which drain 10,000 subscribers between timed publishes and so
// run a fixed number of iterations, then the quote encoder, which runs for
// the default time.
var goBenchRuns = []struct {
	pattern string
	fixed   bool // run sizes.benchTime iterations rather than for a time
}{
	{"Hub|Subscriber", true},
	{"Quote", false},
}

// runGoBench is scenario 5: the feed benchmarks with -benchmem, then
// benchstat over the repeated runs.
func (b *bench) runGoBench(ctx context.Context) {
	gb := &GoBench{Ran: time.Now().UTC(), File: "gobench.txt", StatFile: "benchstat.txt"}
	defer func() { b.res.GoBench = gb }()
	rawPath := filepath.ToSlash(filepath.Join(b.benchDir, gb.File))
	bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	out := &lockedBuffer{}
	var cmds []string
	var err error
	for _, run := range goBenchRuns {
		args := []string{"test", "-run", "^$", "-bench", run.pattern, "-benchmem", "-count", strconv.Itoa(b.sz.benchCount)}
		if run.fixed && b.sz.benchTime != "" {
			args = append(args, "-benchtime", b.sz.benchTime)
		}
		args = append(args, "./feed/")
		cmds = append(cmds, shellJoin(append([]string{"go"}, args...))+" >> "+rawPath)
		b.logf("go: %s", cmds[len(cmds)-1])
		var cmd *exec.Cmd
		if cmd, err = b.procs.start(bctx, out, out, b.goBin, args...); err == nil {
			err = b.procs.wait(cmd)
		}
		if err != nil {
			break
		}
	}
	gb.Command = strings.Join(cmds, "\n")
	raw := out.tail(1 << 22)
	_ = os.WriteFile(filepath.Join(b.benchDir, gb.File), []byte(raw), 0o644)
	if err != nil {
		gb.Err = fmt.Sprintf("go test: %v: %s", err, lastLines(raw, 5))
		return
	}
	stat, err := b.benchstat(ctx)
	if err != nil {
		gb.Err = err.Error()
		return
	}
	gb.Benchstat = fmt.Sprintf("(cd %s && benchstat %s > %s)", filepath.ToSlash(b.benchDir), gb.File, gb.StatFile)
	sc := exec.CommandContext(ctx, stat, gb.File)
	sc.Dir = b.benchDir // benchstat labels its column with the file name as given
	sum, err := sc.CombinedOutput()
	if err != nil {
		gb.Err = fmt.Sprintf("benchstat: %v: %s", err, lastLines(string(sum), 5))
		return
	}
	gb.Summary = string(sum)
	_ = os.WriteFile(filepath.Join(b.benchDir, gb.StatFile), sum, 0o644)
	fmt.Fprint(b.stderr, indent(gb.Summary, "    "))
}

// benchstat finds benchstat on PATH or in GOPATH/bin, installing it with
// go install if it is in neither.
func (b *bench) benchstat(ctx context.Context) (string, error) {
	if p, err := exec.LookPath("benchstat"); err == nil {
		return p, nil
	}
	gopath := output(ctx, b.goBin, "env", "GOPATH")
	p := filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "benchstat")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	b.logf("installing benchstat: go install golang.org/x/perf/cmd/benchstat@latest")
	cmd := exec.CommandContext(ctx, b.goBin, "install", "golang.org/x/perf/cmd/benchstat@latest")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("install benchstat: %w: %s", err, lastLines(string(out), 3))
	}
	return p, nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
