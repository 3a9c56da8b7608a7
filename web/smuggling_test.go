package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestContentLengthWithChunkedIsRefused: a request with both Content-Length
// and Transfer-Encoding: chunked (in either order) is answered 400
// bad_request and its connection closed, so a request smuggled behind it is
// never read. fasthttp alone let the chunked encoding win and kept the
// connection open.
func TestContentLengthWithChunkedIsRefused(t *testing.T) {
	ts := startTestServer(t, Config{})
	const smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	for name, headers := range map[string]string{
		"length first":  "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
		"chunked first": "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
		"odd case":      "content-LENGTH: 4\r\ntransfer-encoding: chunked\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			req := "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
				headers + "\r\n2\r\n{}\r\n0\r\n\r\n" + smuggled
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			post, _ := http.NewRequest(http.MethodPost, "/api/v1/auth/login", nil)
			resp, err := http.ReadResponse(br, post)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantProblem(t, resp, body, http.StatusBadRequest, codeBadRequest, "")
			if !resp.Close {
				t.Errorf("response does not close the connection: %v", resp.Header)
			}
			if next, err := http.ReadResponse(br, nil); err == nil {
				t.Fatalf("the smuggled request was answered: %d", next.StatusCode)
			}
		})
	}
	// One of the two alone is fine.
	const login = `{"username":"nobody","password":"wrong password"}`
	for _, headers := range []string{"Content-Length: " + strconv.Itoa(len(login)) + "\r\n", "Transfer-Encoding: chunked\r\n"} {
		body := login
		if headers[0] == 'T' {
			body = strconv.FormatInt(int64(len(login)), 16) + "\r\n" + login + "\r\n0\r\n\r\n"
		}
		conn, err := net.Dial("tcp", ts.Addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+headers+"\r\n"+body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%q: %d, want 401 (a well-framed login with a wrong password)", headers, resp.StatusCode)
		}
	}
}
