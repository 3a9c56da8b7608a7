package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// restClient makes the few JSON requests the tool needs before the load
// starts (symbols, register, login). Request i leaves from the i-th source
// address, so the server's per-IP login limit spreads over many addresses.
type restClient struct {
	base string // http://host:port
	d    *dialer
	hc   *http.Client
}

type sourceKey struct{}

func newRESTClient(base string, d *dialer) *restClient {
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			i, _ := ctx.Value(sourceKey{}).(int)
			nd := net.Dialer{Timeout: d.timeout, LocalAddr: d.localAddr(i)}
			return nd.DialContext(ctx, "tcp", d.server)
		},
	}
	return &restClient{base: base, d: d, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends one request from source i and returns the status and body. A 429
// is retried after its Retry-After (at most a few times, never past ctx).
func (rc *restClient) do(ctx context.Context, i int, method, path string, body any) (int, []byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, nil, fmt.Errorf("encode %s body: %w", path, err)
		}
	}
	ctx = context.WithValue(ctx, sourceKey{}, i)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, rc.base+path, bytes.NewReader(payload))
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := rc.hc.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
		}
		if resp.StatusCode != http.StatusTooManyRequests || attempt >= 5 {
			return resp.StatusCode, data, nil
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(time.Duration(max(wait, 1)) * time.Second):
		}
	}
}

// problemCode extracts the stable "code" of a problem+json body.
func problemCode(body []byte) string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code
}

// fetchSymbols returns the server's symbol universe in the server's order.
func (rc *restClient) fetchSymbols(ctx context.Context) ([]string, error) {
	status, body, err := rc.do(ctx, 0, http.MethodGet, "/api/v1/symbols", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/symbols: status %d: %s", status, bytes.TrimSpace(body))
	}
	var out struct {
		Symbols []struct {
			Symbol string `json:"symbol"`
		} `json:"symbols"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode symbols: %w", err)
	}
	syms := make([]string, 0, len(out.Symbols))
	for _, s := range out.Symbols {
		syms = append(syms, s.Symbol)
	}
	if len(syms) == 0 {
		return nil, fmt.Errorf("server has no symbols")
	}
	return syms, nil
}

// login registers the account (an existing one is fine) and logs it in,
// returning its session token.
func (rc *restClient) login(ctx context.Context, i int, user, password string) (string, error) {
	cred := map[string]string{"username": user, "password": password}
	status, body, err := rc.do(ctx, i, http.MethodPost, "/api/v1/auth/register", cred)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated && problemCode(body) != "username_taken" {
		return "", fmt.Errorf("register %s: status %d: %s", user, status, bytes.TrimSpace(body))
	}
	status, body, err = rc.do(ctx, i, http.MethodPost, "/api/v1/auth/login", cred)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("login %s: status %d: %s", user, status, bytes.TrimSpace(body))
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: no token in answer", user)
	}
	return out.Token, nil
}

// loginAll logs n accounts in with at most conc requests in flight and
// returns their tokens in account order.
func (rc *restClient) loginAll(ctx context.Context, n, conc int, prefix, password string) ([]string, error) {
	tokens := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, max(conc, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tokens[i], errs[i] = rc.login(ctx, i, fmt.Sprintf("%s%05d", prefix, i), password)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
	}
	return tokens, nil
}
