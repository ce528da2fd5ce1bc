package verdicts

import "testing"

// BeforeNextWrite makes fn run once, the next time a page has been read and
// evaluated and is about to be written: where another writer can slip in.
// If no page gets that far, the hook goes when t ends, so that it cannot
// fire in another test.
func BeforeNextWrite(t *testing.T, fn func()) {
	testHookBeforeWrite = func() {
		testHookBeforeWrite = nil // fn may recompute, and must not recurse
		fn()
	}
	t.Cleanup(func() { testHookBeforeWrite = nil })
}
