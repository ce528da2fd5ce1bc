//go:build unix

package cpuclock

import (
	"testing"
	"time"
)

func TestUsedGrowsWithWorkAndNotWithSleep(t *testing.T) {
	// Work until 20 ms of CPU are counted; on a loaded machine that takes
	// longer by the wall clock, never forever.
	start, deadline := Used(), time.Now().Add(10*time.Second)
	for x := 0; Used()-start < 20*time.Millisecond; x++ {
		if time.Now().After(deadline) {
			t.Fatalf("10 s of work counted %v of CPU", Used()-start)
		}
		_ = x * x
	}
	before := Used()
	time.Sleep(100 * time.Millisecond)
	if slept := Used() - before; slept > 50*time.Millisecond {
		t.Fatalf("100 ms asleep used %v of CPU", slept)
	}
}
