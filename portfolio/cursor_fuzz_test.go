package portfolio

import (
	"math"
	"testing"
)

// FuzzCursor: any cursor string decodes to a positive trade id that
// encodes back to exactly that string, or is refused with invalid_cursor;
// every positive id round-trips.
func FuzzCursor(f *testing.F) {
	for _, s := range []struct {
		cursor string
		id     int64
	}{
		{encodeCursor(1), 1}, {encodeCursor(42), 42}, {encodeCursor(math.MaxInt64), math.MaxInt64},
		{"", 0}, {"MA", -1}, {"LTE", -7}, {"MDA0Mg", 0}, {"NDI=", 42}, {"NDI", 42}, {"KzQy", 1},
		{"!!!!", 1}, {"OTIyMzM3MjAzNjg1NDc3NTgwOA", 0}, {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1},
	} {
		f.Add(s.cursor, s.id)
	}
	f.Fuzz(func(t *testing.T, cursor string, id int64) {
		got, err := decodeCursor(cursor)
		switch {
		case err != nil:
			if ErrorCode(err) != CodeInvalidCursor || got != 0 {
				t.Fatalf("cursor %q: %d, %v; want 0 and invalid_cursor", cursor, got, err)
			}
		case got <= 0 || encodeCursor(got) != cursor:
			t.Fatalf("cursor %q accepted as %d, which encodes as %q", cursor, got, encodeCursor(got))
		}
		if id > 0 {
			if back, err := decodeCursor(encodeCursor(id)); err != nil || back != id {
				t.Fatalf("id %d: cursor %q decodes to %d, %v", id, encodeCursor(id), back, err)
			}
		}
	})
}
