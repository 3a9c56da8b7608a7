package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// procs starts child processes in their own process groups and makes sure
// none outlives the benchmark: each is stopped when its context ends, killed
// with its parent (PR_SET_PDEATHSIG), and killAll ends whatever is left.
type procs struct {
	mu   sync.Mutex
	live map[int]*exec.Cmd
}

func newProcs() *procs { return &procs{live: make(map[int]*exec.Cmd)} }

// start runs name with args; stdout and stderr may be nil. When ctx ends the
// whole process group gets SIGTERM, then SIGKILL after 10 s.
func (p *procs) start(ctx context.Context, stdout, stderr io.Writer, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.live[cmd.Process.Pid] = cmd
	return cmd, nil
}

// wait waits for cmd and forgets it.
func (p *procs) wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	p.mu.Lock()
	delete(p.live, cmd.Process.Pid)
	p.mu.Unlock()
	return err
}

// killAll sends SIGKILL to the group of every process still running.
func (p *procs) killAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid := range p.live {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// stop asks cmd's group to end with SIGTERM and waits up to grace before
// SIGKILL. It returns the exit error, nil for a clean exit.
func (p *procs) stop(cmd *exec.Cmd, grace time.Duration) error {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.wait(cmd) }()
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return errors.New("did not stop within " + grace.String() + "; killed")
	}
}

// raiseNoFile lifts the soft open-file limit to the hard limit; children
// inherit it. It returns the new soft limit.
func raiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("read open-file limit: %w", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return rl.Cur, fmt.Errorf("raise open-file limit to %d: %w", rl.Max, err)
		}
	}
	return rl.Cur, nil
}
