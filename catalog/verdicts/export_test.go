package verdicts

// BeforeNextWrite makes fn run once, the next time a page this Service
// recomputes has been read and evaluated and is about to be written: where
// another writer can slip in.
func (s *Service) BeforeNextWrite(fn func()) {
	s.beforeWrite = func() {
		s.beforeWrite = nil // fn may recompute, and must not recurse
		fn()
	}
}
