package verdicts

// BeforeNextWrite makes fn run once, the next time a page has been read and
// evaluated and is about to be written: where another writer can slip in.
func BeforeNextWrite(fn func()) {
	testHookBeforeWrite = func() {
		testHookBeforeWrite = nil // fn may recompute, and must not recurse
		fn()
	}
}
