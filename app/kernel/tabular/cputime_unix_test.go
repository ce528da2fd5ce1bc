//go:build unix

package tabular

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, all threads: on a loaded
// machine it measures a phase's work where the wall clock measures the
// wait for a core too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
