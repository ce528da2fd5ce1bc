package verdicts

// SetBeforeWrite makes fn run between a page's first reading and its
// writing transaction, until the returned function is called.
func SetBeforeWrite(fn func()) (restore func()) {
	testHookBeforeWrite = fn
	return func() { testHookBeforeWrite = nil }
}
