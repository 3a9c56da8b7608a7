package portfolio

import "syscall"

// hashNice is the niceness of password hashing threads: under contention
// the kernel gives a nice-10 thread about a tenth of the CPU time of a
// nice-0 one, and all of it when a core is idle.
const hashNice = 10

// lowerThreadPriority lowers the calling OS thread's scheduling priority
// (on Linux, PRIO_PROCESS with a thread id sets that thread alone). It is
// best effort: without it hashing still runs, at normal priority.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), hashNice)
}
