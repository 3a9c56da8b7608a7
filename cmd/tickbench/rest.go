package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// restPositions are the trades of the REST scenario's account: a few
// positions, as a dashboard user would hold. All are among the first 50
// symbols of data/symbols.csv, since the benchmark serves only those.
var restPositions = []struct {
	symbol string
	qty    int
}{{"AAPL", 20}, {"MSFT", 10}, {"NVDA", 15}, {"JPM", 12}, {"AMZN", 30}}

// runREST is scenario 4: wrk with one thread and 64 connections against
// GET /api/v1/portfolio of an account holding a few positions.
func (b *bench) runREST(ctx context.Context) {
	rs := &REST{Ran: time.Now().UTC()}
	defer func() { b.res.REST = rs }()
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		rs.Err = "wrk is not installed: apt-get install wrk"
		b.logf("%s", rs.Err)
		return
	}
	srv, err := b.startServer(ctx, 2)
	if err != nil {
		rs.Err = err.Error()
		return
	}
	defer b.stopServer(srv)
	rs.Server = srv.command()
	api := newAPIClient(srv.url, 64)
	token, err := api.account(ctx, "benchrest", benchPassword)
	for _, p := range restPositions {
		if err != nil {
			break
		}
		if err = api.buy(ctx, token, p.symbol, p.qty); err == nil {
			rs.Positions++
		}
	}
	if err != nil {
		rs.Err = fmt.Sprintf("set up the account: %v", err)
		return
	}
	rs.Setup = fmt.Sprintf("register and log in one account, buy %d positions (POST /api/v1/portfolio/trades); TOKEN is its session token", rs.Positions)
	dur := b.sz.wrkDuration.String()
	// One wrk thread: a second one takes a core from the server it measures
	// (on 2 cores it cost 10 % of the throughput and tripled p99).
	args := []string{"-t1", "-c64", "-d" + dur, "--latency", "-H", "Authorization: Bearer " + token, srv.url + "/api/v1/portfolio"}
	rs.Command = "wrk -t1 -c64 -d" + dur + ` --latency -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/v1/portfolio`
	b.logf("rest: %s", rs.Command)

	cpu0, _ := procCPU(srv.pid)
	out := &lockedBuffer{}
	wctx, cancel := context.WithTimeout(ctx, b.sz.wrkDuration+time.Minute)
	defer cancel()
	cmd, err := b.procs.start(wctx, out, out, wrk, args...)
	if err == nil {
		err = b.procs.wait(cmd)
	}
	cpu1, _ := procCPU(srv.pid)
	text := out.tail(1 << 16)
	fmt.Fprint(b.stderr, indent(text, "    "))
	rs.File = "rest-wrk.txt"
	_ = os.WriteFile(filepath.Join(b.benchDir, rs.File), []byte(text), 0o644)
	if err != nil {
		rs.Err = fmt.Sprintf("wrk: %v", err)
		return
	}
	if err := parseWrk(text, rs); err != nil {
		rs.Err = err.Error()
		return
	}
	if rs.Requests > 0 && cpu1 > cpu0 {
		rs.CPUMsPer1k = (cpu1 - cpu0).Seconds() * 1000 / (float64(rs.Requests) / 1000)
	}
}

// procCPU is a process's user+system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	f := fieldsAfterComm(string(data))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad utime/stime in /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}
