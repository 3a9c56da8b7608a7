//go:build !linux

package portfolio

// lowerThreadPriority does nothing outside Linux, where nice applies to the
// whole process rather than to one thread.
func lowerThreadPriority() {}
