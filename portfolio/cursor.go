package portfolio

import (
	"encoding/base64"
	"strconv"
)

// encodeCursor makes the opaque page cursor that follows the trade with id.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, id, 10))
}

// decodeCursor reverses encodeCursor, accepting only what it produces.
func decodeCursor(cursor string) (int64, error) {
	bad := fieldErrorf(CodeInvalidCursor, "cursor", "invalid page cursor")
	if len(cursor) > 32 {
		return 0, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || id <= 0 || encodeCursor(id) != cursor {
		return 0, bad
	}
	return id, nil
}
