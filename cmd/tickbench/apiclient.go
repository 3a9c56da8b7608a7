package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// benchPassword is the password of the accounts the benchmark creates on
// its throwaway databases.
const benchPassword = "tickbench-pass-2024"

// apiClient makes the few REST calls the scenarios need to set up
// accounts and positions, and the storm's logins.
type apiClient struct {
	base string
	hc   *http.Client
}

func newAPIClient(base string, conns int) *apiClient {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	return &apiClient{base: base, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// call sends a JSON request and returns the status and body.
func (c *apiClient) call(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var payload io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("encode %s: %w", path, err)
		}
		payload = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, payload)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	return resp.StatusCode, data, nil
}

// register creates the account; one that exists already is fine.
func (c *apiClient) register(ctx context.Context, user, password string) error {
	status, body, err := c.call(ctx, http.MethodPost, "/api/v1/auth/register", "", map[string]string{"username": user, "password": password})
	if err != nil {
		return err
	}
	if status != http.StatusCreated && status != http.StatusConflict {
		return fmt.Errorf("register %s: status %d: %s", user, status, bytes.TrimSpace(body))
	}
	return nil
}

// login returns the status of one login and, on 200, the session token.
func (c *apiClient) login(ctx context.Context, user, password string) (int, string, error) {
	status, body, err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if err != nil || status != http.StatusOK {
		return status, "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		return status, "", fmt.Errorf("login %s: no token in the answer", user)
	}
	return status, out.Token, nil
}

// account registers user and logs it in, returning its token.
func (c *apiClient) account(ctx context.Context, user, password string) (string, error) {
	if err := c.register(ctx, user, password); err != nil {
		return "", err
	}
	status, token, err := c.login(ctx, user, password)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("login %s: status %d", user, status)
	}
	return token, nil
}

// buy places a market buy of qty shares of symbol.
func (c *apiClient) buy(ctx context.Context, token, symbol string, qty int) error {
	status, body, err := c.call(ctx, http.MethodPost, "/api/v1/portfolio/trades", token,
		map[string]any{"symbol": symbol, "side": "buy", "quantity": qty})
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("buy %s: status %d: %s", symbol, status, bytes.TrimSpace(body))
	}
	return nil
}
