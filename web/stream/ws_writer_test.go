package stream

import (
	"bytes"
	"testing"

	"github.com/gofiber/contrib/websocket"
)

// TestAppendFrameHeader checks the three length encodings of RFC 6455
// (section 5.2) at their boundaries, byte for byte, and the opcodes. Frames
// of the first two sizes also cross the real client in every stream test.
func TestAppendFrameHeader(t *testing.T) {
	tests := []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xFF, 0xFF}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{1 << 32, []byte{0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		got := appendFrameHeader([]byte("x"), websocket.TextMessage, tt.n)
		if got[0] != 'x' || !bytes.Equal(got[1:], tt.want) {
			t.Errorf("n=%d: got % x, want 78 % x (the prefix kept)", tt.n, got, tt.want)
		}
	}
	for op, want := range map[int]byte{websocket.PingMessage: 0x89, websocket.PongMessage: 0x8A} {
		if got := appendFrameHeader(nil, op, 4); got[0] != want || got[1] != 4 {
			t.Errorf("opcode %d: header % x, want %x 04", op, got, want)
		}
	}
}
