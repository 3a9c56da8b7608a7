package portfolio

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Username and password rules.
const (
	MinUsernameLen = 3
	MaxUsernameLen = 32
	MinPasswordLen = 8   // runes
	MaxPasswordLen = 128 // runes
)

// Account is a user of tickerd.
type Account struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
}

// NormalizeUsername returns the canonical form of a username: surrounding
// ASCII spaces and tabs trimmed and ASCII letters lower-cased, so " Alice"
// and "alice" name the same account. It is the one normalization of
// usernames: registration, login and the login limiter all key on it.
//
// Usernames are ASCII (ValidateUsername), and nothing else is folded: no
// Unicode case mapping or compatibility normalization, so "\u212Aate" (the
// Kelvin sign, which strings.ToLower makes "k") and "\u00a0victim" (a no-break
// space, which strings.TrimSpace removes) stay distinct strings that can
// name no account, instead of reaching "kate" and "victim" by another
// spelling.
func NormalizeUsername(username string) string {
	b := []byte(strings.Trim(username, " \t"))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// ValidateUsername checks a normalized username against the rules: 3 to 32
// characters, lowercase letters, digits, '_', '.' or '-', starting with a
// letter. It returns an *Error with code invalid_username otherwise.
func ValidateUsername(username string) error {
	if n := len(username); n < MinUsernameLen || n > MaxUsernameLen {
		return fieldErrorf(CodeInvalidUsername, "username",
			"username must be %d to %d characters long", MinUsernameLen, MaxUsernameLen)
	}
	if c := username[0]; c < 'a' || c > 'z' {
		return fieldErrorf(CodeInvalidUsername, "username", "username must start with a letter")
	}
	for i := 0; i < len(username); i++ {
		c := username[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return fieldErrorf(CodeInvalidUsername, "username",
				"username may contain only lowercase letters, digits, '_', '.' and '-'")
		}
	}
	return nil
}

// ValidatePassword checks a password for the normalized username: 8 to 128
// characters of valid UTF-8, and not the username itself. It returns an
// *Error with code invalid_password otherwise.
func ValidatePassword(username, password string) error {
	if !utf8.ValidString(password) {
		return fieldErrorf(CodeInvalidPassword, "password", "password must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return fieldErrorf(CodeInvalidPassword, "password",
			"password must be %d to %d characters long", MinPasswordLen, MaxPasswordLen)
	}
	if NormalizeUsername(password) == username {
		return fieldErrorf(CodeInvalidPassword, "password", "password must not be the username")
	}
	return nil
}
