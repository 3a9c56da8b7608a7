package main

import "bytes"

// The load tool never decodes a quotes frame into structs: it only needs the
// frame's type and, of each quote, its symbol, ts, seq, whether it is a
// snapshot and the ticks the server says it dropped before it. These
// scanners read the server's flat quote objects in place and allocate nothing.

var (
	keyType     = []byte(`"type":"`)
	keyTS       = []byte(`"ts":`)
	keyCode     = []byte(`"code":"`)
	keySymbol   = []byte(`"symbol":"`)
	keySeq      = []byte(`"seq":`)
	keyDropped  = []byte(`"dropped":`)
	keySnapshot = []byte(`"snapshot":true`)
)

// scannedQuote is what the tool reads of one quote. symbol aliases the frame.
type scannedQuote struct {
	ts       int64  // Unix ms
	seq      int64  // 0 when absent or malformed
	dropped  int64  // ticks of the symbol the server dropped before this one; 0 when absent
	symbol   []byte // nil when absent
	snapshot bool
	json     []byte // the whole object, braces included; nil when it has no closing brace
}

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

// scanQuotes calls fn for every object in b that holds a "ts" key, with the
// fields of scannedQuote read from the same object. Objects are delimited
// by the nearest braces around the ts key, which is exact for the protocol's
// flat quote objects (no nested objects, no braces in symbols). It returns
// how many quotes it found. Objects with a malformed ts are skipped; other
// malformed numbers read as 0.
func scanQuotes(b []byte, fn func(q scannedQuote)) int {
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
		n++
		if fn != nil {
			obj := b[start:stop]
			var whole []byte
			if stop < len(b) {
				whole = b[start : stop+1]
			}
			fn(scannedQuote{
				ts:       ts,
				seq:      intAfter(obj, keySeq),
				dropped:  intAfter(obj, keyDropped),
				symbol:   stringAfter(obj, keySymbol),
				snapshot: bytes.Contains(obj, keySnapshot),
				json:     whole,
			})
		}
		off = stop
	}
}

// intAfter returns the integer after the first key in b, or 0.
func intAfter(b, key []byte) int64 {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0
	}
	v, _, _ := parseInt(b, i+len(key))
	return v
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
