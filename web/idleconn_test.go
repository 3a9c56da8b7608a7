package web

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClosedIdleConnectionIsNotAnError: a client that opens a connection
// and drops it, with a reset or a plain close, before sending a request has
// done nothing wrong; the server must not log it as a failed request
// ("Bad Gateway", 500) at ERROR.
func TestClosedIdleConnectionIsNotAnError(t *testing.T) {
	ts := startTestServer(t, Config{})
	for _, reset := range []bool{true, false, true} {
		c, err := net.Dial("tcp", ts.Addr)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the server is reading the request
		if reset {
			_ = c.(*net.TCPConn).SetLinger(0) // close with RST
		}
		_ = c.Close()
	}
	// The same after a served request on a keep-alive connection.
	c, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetLinger(0)
	_ = c.Close()

	// Wait until the server has handled the closes: a normal request after
	// them, then a short pause for the log.
	resp, body := ts.do(t, http.MethodGet, "/healthz", "", nil)
	wantStatus(t, resp, body, http.StatusOK)
	time.Sleep(100 * time.Millisecond)
	for _, line := range strings.Split(ts.Logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("logged at ERROR: %s", line)
		}
	}
}
