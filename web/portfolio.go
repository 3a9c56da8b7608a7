package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/wire"
)

// registerPortfolioRoutes: the valuation, placing and listing trades.
func (s *Server) registerPortfolioRoutes(api fiber.Router) {
	api.Get("/portfolio", s.requireSession, s.handlePortfolio)
	api.Post("/portfolio/trades", s.requireSession, s.handlePlaceTrade)
	api.Get("/portfolio/trades", s.requireSession, s.handleTrades)
}

type tradeJSON struct {
	ID        int64      `json:"id"`
	Symbol    string     `json:"symbol"`
	Side      string     `json:"side"`
	Quantity  int64      `json:"quantity"`
	Price     wire.Money `json:"price"`
	Amount    wire.Money `json:"amount"`
	CashAfter wire.Money `json:"cash_after"`
	Time      string     `json:"time"`
}

func toTradeJSON(t portfolio.Trade) tradeJSON {
	return tradeJSON{
		ID: t.ID, Symbol: t.Symbol, Side: string(t.Side), Quantity: t.Quantity,
		Price: wire.Money(t.Price), Amount: wire.Money(t.Amount), CashAfter: wire.Money(t.CashAfter),
		Time: wire.Time(t.Time),
	}
}

func (s *Server) handlePortfolio(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	v, err := s.store.Valuation(c.UserContext(), sess.AccountID, s.market, s.market)
	if err != nil {
		return err
	}
	out := wire.FromValuation(v)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out.AppendJSON(make([]byte, 0, 512+256*len(out.Positions))))
}

// tradeBody keeps quantity raw so that 1.5, "10" and 1e3 are refused as
// invalid_quantity instead of being coerced.
type tradeBody struct {
	Symbol   string          `json:"symbol"`
	Side     string          `json:"side"`
	Quantity json.RawMessage `json:"quantity"`
}

// parseQuantity accepts only a JSON integer literal.
func parseQuantity(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, newProblem(portfolio.CodeInvalidQuantity, "quantity", "quantity is required")
	}
	q, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, newProblem(portfolio.CodeInvalidQuantity, "quantity",
			"quantity must be a whole number of shares written as a JSON integer")
	}
	return q, nil
}

func (s *Server) handlePlaceTrade(c *fiber.Ctx) (err error) {
	sess, _ := sessionOf(c)
	var body tradeBody
	defer func() { s.metrics.countTrade(portfolio.Side(body.Side), err) }()
	if err := decodeJSON(c, &body, "symbol", "side", "quantity"); err != nil {
		return err
	}
	qty, err := parseQuantity(body.Quantity)
	if err != nil {
		return err
	}
	req := portfolio.TradeRequest{
		Symbol:   portfolio.NormalizeSymbol(body.Symbol),
		Side:     portfolio.Side(body.Side),
		Quantity: qty,
	}
	if s.market.Halted(req.Symbol) {
		return problemf(codeMarketHalted, "symbol", "trading in %s is halted", req.Symbol)
	}
	t, err := s.store.PlaceTrade(c.UserContext(), sess.AccountID, req, s.market, s.market)
	if err != nil {
		return err
	}
	s.streams.PortfolioChanged(sess.AccountID)
	if s.events != nil {
		s.events.AccountChanged(sess.AccountID)
	}
	return c.Status(http.StatusCreated).JSON(toTradeJSON(t))
}

func (s *Server) handleTrades(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	limit, err := pageLimit(c, portfolio.DefaultTradesLimit, portfolio.MaxTradesLimit)
	if err != nil {
		return err
	}
	trades, next, err := s.store.Trades(c.UserContext(), sess.AccountID, c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Trades     []tradeJSON `json:"trades"`
		NextCursor *string     `json:"next_cursor"`
	}{Trades: make([]tradeJSON, 0, len(trades))}
	for _, t := range trades {
		out.Trades = append(out.Trades, toTradeJSON(t))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return c.JSON(out)
}

// pageLimit reads the ?limit= of a paged list: def when absent, otherwise a
// whole number from 1 to max (400 invalid_parameter naming the bounds).
func pageLimit(c *fiber.Ctx, def, max int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, problemf(codeInvalidParameter, "limit", "limit must be a whole number from 1 to %d", max)
	}
	return n, nil
}
