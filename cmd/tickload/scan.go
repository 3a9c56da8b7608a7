package main

import "bytes"

// The load tool never decodes a quotes frame into structs: it only needs the
// frame's type, each quote's ts and whether the quote is a snapshot. These
// scanners read the server's flat quote objects in place and allocate nothing.

var (
	keyType     = []byte(`"type":"`)
	keyTS       = []byte(`"ts":`)
	keyCode     = []byte(`"code":"`)
	keySnapshot = []byte(`"snapshot":true`)
)

// frameType returns the value of the first "type" key in a JSON frame (the
// top-level one: the server writes it first), or nil if there is none. The
// result aliases frame.
func frameType(frame []byte) []byte {
	return stringAfter(frame, keyType)
}

// frameCode returns the value of the first "code" key (error frames), or nil.
func frameCode(frame []byte) []byte {
	return stringAfter(frame, keyCode)
}

func stringAfter(b, key []byte) []byte {
	i := bytes.Index(b, key)
	if i < 0 {
		return nil
	}
	b = b[i+len(key):]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return nil
	}
	return b[:j]
}

// scanQuotes calls fn for every object in b that holds a "ts" key, with its
// ts (Unix ms) and whether the object also holds "snapshot":true. Objects
// are delimited by the nearest braces around the key, which is exact for the
// protocol's flat quote objects (no nested objects, no braces in symbols).
// It returns how many quotes it found. Malformed numbers are skipped.
func scanQuotes(b []byte, fn func(ts int64, snapshot bool)) int {
	n := 0
	off := 0
	for {
		i := bytes.Index(b[off:], keyTS)
		if i < 0 {
			return n
		}
		i += off
		ts, end, ok := parseInt(b, i+len(keyTS))
		off = end
		if !ok {
			continue
		}
		// The enclosing object: back to the last '{', forward to the next '}'.
		start := bytes.LastIndexByte(b[:i], '{')
		if start < 0 {
			start = 0
		}
		stop := bytes.IndexByte(b[end:], '}')
		if stop < 0 {
			stop = len(b)
		} else {
			stop += end
		}
		snap := bytes.Contains(b[start:stop], keySnapshot)
		n++
		if fn != nil {
			fn(ts, snap)
		}
		off = stop
	}
}

// parseInt parses an optionally space-prefixed, optionally negative decimal
// integer at b[i:]. It returns the value, the index after it, and whether
// at least one digit was read without overflow.
func parseInt(b []byte, i int) (v int64, end int, ok bool) {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if v > (1<<63-1-9)/10 {
			return 0, i, false
		}
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == start {
		return 0, i, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}
