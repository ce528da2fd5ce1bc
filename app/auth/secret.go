package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// newSecret returns a random, URL-safe string carrying n bytes of entropy.
func newSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS has no entropy: nothing is safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how tokens and session ids are stored. They carry 256 bits
// of entropy, so a fast hash is enough (a slow one only slows every request)
// and a database leak reveals no usable credential.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// GeneratePassword returns a random password for bootstrap and demo users.
func GeneratePassword() string { return newSecret(15) }
