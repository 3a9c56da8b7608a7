package stream

import (
	"io"
	"net"
	"testing"
)

// TestWriteDirectAllocatesNothing: a direct write to a socket with room
// costs no allocation (it runs for most frames of every tick), and the
// bytes arrive as written.
func TestWriteDirectAllocatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	c := &wsConn{raw: rawConn(server)}
	if c.raw == nil {
		t.Fatal("no raw socket under a TCP connection")
	}
	c.sendFn = c.sendNow
	frame := []byte("0123456789abcdef")
	const runs = 100
	allocs := testing.AllocsPerRun(runs, func() {
		if err := c.writeDirect(frame); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a direct write allocates %v times", allocs)
	}
	if len(c.rest) != 0 {
		t.Fatalf("%d bytes left for later on a socket with room", len(c.rest))
	}
	got := make([]byte, (runs+1)*len(frame)) // AllocsPerRun runs once more to warm up
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(got); i += len(frame) {
		if string(got[i:i+len(frame)]) != string(frame) {
			t.Fatalf("bytes %d.. = %q, want %q", i, got[i:i+len(frame)], frame)
		}
	}
}
