package wire

import "time"

// AppendString appends s as a JSON string. s must be valid UTF-8 (it came
// from encoding/json, from the server itself or from the database); quotes,
// backslashes and control characters are escaped, nothing else.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// AppendStrings appends list as a JSON array of strings.
func AppendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s)
	}
	return append(dst, ']')
}

// Time formats t as the API writes every timestamp: RFC 3339 in UTC, whole
// seconds.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339) }
