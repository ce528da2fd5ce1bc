package audit

// HashOf is computeHash, for tests that forge entries as an attacker who
// knows the (public) hash construction would.
func HashOf(e Entry) string { return e.computeHash() }

// AnchorOnce is one round of Anchor: it returns the checkpoint the next round compares with.
var AnchorOnce = (*Log).anchorOnce
