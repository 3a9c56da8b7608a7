package portfolio

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// tokenBytes is the entropy of a session token: 256 bits.
const tokenBytes = 32

// maxTokenLen bounds the tokens worth hashing; real ones are 43 characters.
const maxTokenLen = 256

// Session is an authenticated login. The token itself is never stored.
type Session struct {
	ID        string // hex of the token's SHA-256; safe to log
	AccountID int64
	Username  string
	ExpiresAt time.Time
}

// newToken returns a fresh random session token (base64url, no padding)
// and its stored form.
func newToken() (token, id string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenID(token), nil
}

// tokenID is the stored form of a token: the hex of its SHA-256.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func errUnauthorized() *Error {
	return Errorf(CodeUnauthorized, "not signed in, or the session has expired")
}

func errInvalidCredentials() *Error {
	return Errorf(CodeInvalidCredentials, "invalid username or password")
}
