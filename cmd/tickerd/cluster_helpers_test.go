package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// testCluster is a core with an embedded NATS server and its edges, on
// loopback.
type testCluster struct {
	core  *tickerdtest.Process
	edges []*tickerdtest.Process
	nats  string // nats://host:port
}

// startCluster starts a core (coreArgs added) and n edges.
func startCluster(t *testing.T, n int, coreArgs ...string) *testCluster {
	t.Helper()
	natsAddr := tickerdtest.FreeAddr(t)
	c := &testCluster{nats: "nats://" + natsAddr}
	c.core = tickerdtest.New(t, append([]string{"-role", "core", "-nats-listen", natsAddr,
		"-trusted-proxies", "127.0.0.1", "-login-per-ip-per-min", "1000"}, coreArgs...)...)
	c.core.Start(t)
	for i := 0; i < n; i++ {
		e := c.core.Sibling(t, "-role", "edge", "-nats-url", c.nats, "-core-url", c.core.URL)
		e.Start(t)
		c.edges = append(c.edges, e)
	}
	return c
}

// account registers username through base and logs it in, returning the
// token.
func account(t *testing.T, base, username string) string {
	t.Helper()
	body := `{"username":"` + username + `","password":"correct horse 1"}`
	res := post(t, base+"/api/v1/auth/register", "", body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register %s via %s: %d", username, base, res.StatusCode)
	}
	res = post(t, base+"/api/v1/auth/login", "", body)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login %s via %s: %d", username, base, res.StatusCode)
	}
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("login answer: %v", err)
	}
	return out.Token
}

// post sends a JSON body, with a bearer token when given; the caller
// closes the body (or ignores it: the response is small).
func post(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// dialWS opens a WebSocket on base's /api/v1/ws, authenticated on the
// upgrade when token is not empty. It returns the HTTP status of a refused
// upgrade.
func dialWS(base, token string) (*websocket.Conn, int, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", h)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return nil, status, err
	}
	return conn, http.StatusSwitchingProtocols, nil
}

// wsClient reads a WebSocket's frames on its own goroutine, so a test can
// wait for a frame with a timeout without breaking the connection (a read
// deadline that expires ends it for good).
type wsClient struct {
	conn   *websocket.Conn
	frames chan frame
	end    chan error // the read error that ended the connection
}

func newWSClient(conn *websocket.Conn) *wsClient {
	c := &wsClient{conn: conn, frames: make(chan frame, 1024), end: make(chan error, 1)}
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				c.end <- err
				return
			}
			f := frame{Raw: b}
			if err := json.Unmarshal(b, &f); err != nil {
				c.end <- fmt.Errorf("frame %s: %w", b, err)
				return
			}
			c.frames <- f
		}
	}()
	return c
}

// mustWS is dialWS that fails the test, and reads the welcome frame.
func mustWS(t *testing.T, base, token string) *wsClient {
	t.Helper()
	conn, _, err := dialWS(base, token)
	if err != nil {
		t.Fatalf("dial %s: %v", base, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := newWSClient(conn)
	if f, err := c.next(5 * time.Second); err != nil || f.Type != "welcome" {
		t.Fatalf("first frame %s (%v), want welcome", f.Raw, err)
	}
	return c
}

// frame is any server frame, with the fields the tests look at.
type frame struct {
	Type    string          `json:"type"`
	State   string          `json:"state"` // of a feed frame
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Raw     []byte          `json:"-"`
}

type wsQuote struct {
	Symbol   string  `json:"symbol"`
	Price    float64 `json:"price"`
	Seq      uint64  `json:"seq"`
	Snapshot bool    `json:"snapshot"`
}

func (f frame) quotes(t *testing.T) []wsQuote {
	t.Helper()
	var qs []wsQuote
	if err := json.Unmarshal(f.Data, &qs); err != nil {
		t.Fatalf("quotes frame %s: %v", f.Raw, err)
	}
	return qs
}

// errNoFrame is next's answer when d passes without a frame.
var errNoFrame = errors.New("no frame")

// next returns the next frame within d, errNoFrame, or the error that
// ended the connection.
func (c *wsClient) next(d time.Duration) (frame, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case f := <-c.frames:
		return f, nil
	case err := <-c.end:
		c.end <- err // stays the answer
		return frame{}, err
	case <-timer.C:
		return frame{}, errNoFrame
	}
}

// waitFrame reads frames until match accepts one, within d.
func (c *wsClient) waitFrame(t *testing.T, d time.Duration, what string, match func(frame) bool) frame {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		f, err := c.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting %s for %s: %v", d, what, err)
		}
		if match(f) {
			return f
		}
	}
}

// closeCode reads until the connection closes, within d, and returns the
// close code.
func (c *wsClient) closeCode(t *testing.T, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, err := c.next(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("no close frame within %s: %v", d, err)
	}
}

func (c *wsClient) send(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

func freeAddr(t *testing.T) string { return tickerdtest.FreeAddr(t) }
