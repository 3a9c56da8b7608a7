package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPUs      int       `json:"nproc"`
	CPUModel  string    `json:"cpu_model"`
	Memory    string    `json:"memory"`
	Kernel    string    `json:"kernel"`
	Go        string    `json:"go"`
	Commit    string    `json:"commit"`            // HEAD, abbreviated; "" when git could not name it
	Dirty     bool      `json:"dirty"`             // the work tree held changes that Commit does not
	LoadAvg   string    `json:"load_avg_at_start"` // 1, 5 and 15 minutes: was the machine quiet?
	OpenFiles uint64    `json:"open_files"`        // soft RLIMIT_NOFILE the children inherit
	Date      time.Time `json:"date"`
}

// describeMachine reads the machine description from /proc and the tools.
func describeMachine(ctx context.Context, goBin string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Date: time.Now().UTC().Truncate(time.Second)}
	m.CPUModel = procField("/proc/cpuinfo", "model name", ":")
	m.Memory = memTotal(procField("/proc/meminfo", "MemTotal", ":"))
	m.Kernel = strings.TrimSpace(readFile("/proc/sys/kernel/osrelease"))
	if f := strings.Fields(readFile("/proc/loadavg")); len(f) >= 3 {
		m.LoadAvg = strings.Join(f[:3], " ")
	}
	m.Go = strings.TrimPrefix(output(ctx, goBin, "version"), "go version ")
	m.Commit, m.Dirty = gitState(ctx, "")
	return m
}

// gitState returns the abbreviated HEAD commit of the work tree at dir (""
// means the current directory) and whether the tree differs from it:
// changed or staged files, or untracked files that are not ignored. commit
// is "" outside a work tree or without git; a tree whose status git cannot
// read counts as dirty.
func gitState(ctx context.Context, dir string) (commit string, dirty bool) {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return string(bytes.TrimSpace(out)), err
	}
	commit, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "", false
	}
	status, err := git("status", "--porcelain")
	return commit, err != nil || status != ""
}

// legacyDirty is how results written before Machine.Dirty marked a dirty
// tree: a suffix of Commit.
const legacyDirty = " (with uncommitted changes)"

// commitCell describes the commit for the machine table.
func (m Machine) commitCell() string {
	switch {
	case m.Commit == "":
		return "unknown"
	case m.Dirty:
		return m.Commit + legacyDirty
	}
	return m.Commit
}

// memTotal turns /proc/meminfo's "24684092 kB" into "23.5 GiB".
func memTotal(v string) string {
	kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
}

// procField returns the value of the first "key<sep> value" line of path.
func procField(path, key, sep string) string {
	sc := bufio.NewScanner(strings.NewReader(readFile(path)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

// output runs a short command and returns its trimmed stdout, "" on error.
func output(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(out))
}
