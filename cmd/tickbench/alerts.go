package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// maxAlertsPerAccount is the server's cap on one account's active alerts.
const maxAlertsPerAccount = 100

// seedAlerts creates n active price alerts spread over the first pool
// symbols, 100 per account, each far above its symbol's price so that
// none fires: the server keeps them all in its alert book and tests every
// tick against them, which is the cost the fan-out row with alerts shows.
func (b *bench) seedAlerts(ctx context.Context, srv *server, n int) error {
	api := newAPIClient(srv.url, 8)
	syms, err := api.symbols(ctx, b.pool)
	if err != nil {
		return err
	}
	accounts := (n + maxAlertsPerAccount - 1) / maxAlertsPerAccount
	errs := make(chan error, accounts)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for a := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, err := api.account(ctx, fmt.Sprintf("alerts%05d", a), benchPassword)
			if err != nil {
				errs <- err
				return
			}
			for i := a * maxAlertsPerAccount; i < min(n, (a+1)*maxAlertsPerAccount); i++ {
				if err := api.alertAbove(ctx, tok, syms[i%len(syms)], 999_999.99-float64(i%1000)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when the channel is empty
}

// symbols returns the tickers of the server's first n symbols.
func (c *apiClient) symbols(ctx context.Context, n int) ([]string, error) {
	status, body, err := c.call(ctx, http.MethodGet, "/api/v1/symbols", "", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("symbols: status %d", status)
	}
	var out struct {
		Symbols []struct {
			Symbol string `json:"symbol"`
		} `json:"symbols"`
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Symbols) == 0 {
		return nil, fmt.Errorf("symbols: %s (%v)", bytes.TrimSpace(body), err)
	}
	var syms []string
	for _, s := range out.Symbols[:min(n, len(out.Symbols))] {
		syms = append(syms, s.Symbol)
	}
	return syms, nil
}

// alertAbove creates an alert on symbol for a price at or above price.
func (c *apiClient) alertAbove(ctx context.Context, token, symbol string, price float64) error {
	status, body, err := c.call(ctx, http.MethodPost, "/api/v1/alerts", token,
		map[string]any{"symbol": symbol, "condition": "above", "price": json.Number(fmt.Sprintf("%.2f", price))})
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("alert %s: status %d: %s", symbol, status, strings.TrimSpace(string(body)))
	}
	return nil
}
