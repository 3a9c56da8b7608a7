package web

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// pipelinedConn appends early to the first write that ends the handshake
// request, so the server receives a client frame in the same segment as the
// upgrade.
type pipelinedConn struct {
	net.Conn
	early []byte
}

func (c *pipelinedConn) Write(p []byte) (int, error) {
	if c.early == nil || !bytes.HasSuffix(p, []byte("\r\n\r\n")) {
		return c.Conn.Write(p)
	}
	buf := append(append([]byte(nil), p...), c.early...)
	c.early = nil
	if _, err := c.Conn.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// maskedText is a client text frame (masked, as clients must send) of msg,
// which must be under 126 bytes.
func maskedText(msg string) []byte {
	key := [4]byte{1, 2, 3, 4}
	f := []byte{0x81, 0x80 | byte(len(msg)), key[0], key[1], key[2], key[3]}
	for i := range len(msg) {
		f = append(f, msg[i]^key[i%4])
	}
	return f
}

// TestWSFrameSentWithTheUpgrade: a client may send its first message right
// behind the upgrade request, before it sees the 101. The server releases
// the HTTP read buffer of a connection it upgrades when nothing is left in
// it; bytes that are must still reach the WebSocket reader.
func TestWSFrameSentWithTheUpgrade(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "alice", "correct horse battery")
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDial: func(network, addr string) (net.Conn, error) {
			c, err := net.Dial(network, addr)
			if err != nil {
				return nil, err
			}
			return &pipelinedConn{Conn: c, early: maskedText(`{"type":"ping","id":7}`)}, nil
		},
	}
	conn, resp, err := d.Dial("ws://"+ts.Addr+"/api/v1/ws", map[string][]string{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	defer conn.Close()
	if f := readFrame(t, conn); f.Type != "welcome" {
		t.Fatalf("first frame %s, want welcome", f.Raw)
	}
	if f := readFrame(t, conn); f.Type != "pong" || string(f.ID) != "7" {
		t.Fatalf("second frame %s, want the pong of id 7", f.Raw)
	}
}
