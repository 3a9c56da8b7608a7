package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// procSample is a process's CPU time and resident memory at one instant.
type procSample struct {
	At       time.Time     `json:"-"`
	CPU      time.Duration `json:"-"`
	CPUSec   float64       `json:"cpu_s"`     // utime+stime so far
	RSSBytes int64         `json:"rss_bytes"` // VmRSS
}

// clockTicks is the kernel's USER_HZ, read from the auxiliary vector
// (AT_CLKTCK) as sysconf(_SC_CLK_TCK) does; 100 if it cannot be read.
var clockTicks = func() int64 {
	auxv, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for i := 0; i+16 <= len(auxv); i += 16 {
			if binary.NativeEndian.Uint64(auxv[i:]) == 17 { // AT_CLKTCK
				if v := int64(binary.NativeEndian.Uint64(auxv[i+8:])); v > 0 {
					return v
				}
			}
		}
	}
	return 100
}()

// sampleProc reads /proc/PID/stat (utime, stime) and /proc/PID/status (VmRSS).
func sampleProc(pid int) (procSample, error) {
	s := procSample{At: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("server cpu: %w", err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rp := bytes.LastIndexByte(stat, ')')
	if rp < 0 {
		return s, fmt.Errorf("server cpu: malformed /proc/%d/stat", pid)
	}
	f := bytes.Fields(stat[rp+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s, fmt.Errorf("server cpu: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("server cpu: bad utime/stime in /proc/%d/stat", pid)
	}
	s.CPU = time.Duration((ut + st) * int64(time.Second) / clockTicks)
	s.CPUSec = s.CPU.Seconds()

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("server rss: %w", err)
	}
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return s, fmt.Errorf("server rss: %w", err)
			}
			s.RSSBytes = kb * 1024
			return s, nil
		}
	}
	return s, fmt.Errorf("server rss: no VmRSS in /proc/%d/status", pid)
}

// selfCPU is this process's own user+system CPU time, to show what the load
// tool itself cost beside the server.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseNoFile lifts the soft open-file limit to the hard limit and returns
// both. need is how many descriptors the run wants; warn is set when the
// hard limit is below it.
func raiseNoFile(need uint64) (soft, hard uint64, warn string) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, fmt.Sprintf("cannot read the open-file limit: %v", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			warn = fmt.Sprintf("cannot raise the open-file limit to %d: %v; ", rl.Max, err)
			_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
		}
	}
	if rl.Cur < need {
		warn += fmt.Sprintf("open-file limit %d (hard %d) is below the %d this run needs; clients beyond it will fail to connect", rl.Cur, rl.Max, need)
	}
	return rl.Cur, rl.Max, warn
}
