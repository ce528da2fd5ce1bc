//go:build unix

// Package cpuclock reads the CPU time the process has used, for benchmarks
// on a shared machine: the wall clock measures the wait for a core as well
// as the work, the CPU time only the work.
package cpuclock

import (
	"syscall"
	"time"
)

// Used is the CPU time the process has used so far, all threads, user and
// system; 0 when the system does not say.
func Used() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
