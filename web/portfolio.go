package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
)

// Trade listing page sizes.
const (
	defaultTradesLimit = 50
	maxTradesLimit     = 200
)

// registerPortfolioRoutes: the valuation, placing and listing trades.
func (s *Server) registerPortfolioRoutes(api fiber.Router) {
	api.Get("/portfolio", s.requireSession, s.handlePortfolio)
	api.Post("/portfolio/trades", s.requireSession, s.handlePlaceTrade)
	api.Get("/portfolio/trades", s.requireSession, s.handleTrades)
}

type positionJSON struct {
	Symbol          string  `json:"symbol"`
	Quantity        int64   `json:"quantity"`
	AvgCost         Money   `json:"avg_cost"`
	LastPrice       Money   `json:"last_price"`
	PrevClose       Money   `json:"prev_close"`
	MarketValue     Money   `json:"market_value"`
	CostBasis       Money   `json:"cost_basis"`
	UnrealizedPL    Money   `json:"unrealized_pl"`
	UnrealizedPLPct Percent `json:"unrealized_pl_pct"`
	DayChange       Money   `json:"day_change"`
	DayChangePct    Percent `json:"day_change_pct"`
}

// PortfolioJSON is the wire form of a valuation, shared by
// GET /api/v1/portfolio and the streams' "portfolio" payload.
type PortfolioJSON struct {
	Cash            Money          `json:"cash"`
	MarketValue     Money          `json:"market_value"`
	TotalValue      Money          `json:"total_value"`
	CostBasis       Money          `json:"cost_basis"`
	UnrealizedPL    Money          `json:"unrealized_pl"`
	UnrealizedPLPct Percent        `json:"unrealized_pl_pct"`
	DayChange       Money          `json:"day_change"`
	DayChangePct    Percent        `json:"day_change_pct"`
	AsOf            string         `json:"as_of"`
	Positions       []positionJSON `json:"positions"`
}

// toPortfolioJSON converts a valuation to its wire form.
func toPortfolioJSON(v portfolio.Valuation) PortfolioJSON {
	out := PortfolioJSON{
		Cash:            Money(v.Cash),
		MarketValue:     Money(v.MarketValue),
		TotalValue:      Money(v.TotalValue),
		CostBasis:       Money(v.CostBasis),
		UnrealizedPL:    Money(v.UnrealizedPL),
		UnrealizedPLPct: Percent(v.UnrealizedBP),
		DayChange:       Money(v.DayChange),
		DayChangePct:    Percent(v.DayChangeBP),
		AsOf:            rfc3339(v.AsOf),
		Positions:       make([]positionJSON, 0, len(v.Positions)),
	}
	for _, p := range v.Positions {
		out.Positions = append(out.Positions, positionJSON{
			Symbol:          p.Symbol,
			Quantity:        p.Quantity,
			AvgCost:         Money(p.AvgCost),
			LastPrice:       Money(p.LastPrice),
			PrevClose:       Money(p.PrevClose),
			MarketValue:     Money(p.MarketValue),
			CostBasis:       Money(p.CostBasis),
			UnrealizedPL:    Money(p.UnrealizedPL),
			UnrealizedPLPct: Percent(p.UnrealizedBP),
			DayChange:       Money(p.DayChange),
			DayChangePct:    Percent(p.DayChangeBP),
		})
	}
	return out
}

type tradeJSON struct {
	ID        int64  `json:"id"`
	Symbol    string `json:"symbol"`
	Side      string `json:"side"`
	Quantity  int64  `json:"quantity"`
	Price     Money  `json:"price"`
	Amount    Money  `json:"amount"`
	CashAfter Money  `json:"cash_after"`
	Time      string `json:"time"`
}

func toTradeJSON(t portfolio.Trade) tradeJSON {
	return tradeJSON{
		ID: t.ID, Symbol: t.Symbol, Side: string(t.Side), Quantity: t.Quantity,
		Price: Money(t.Price), Amount: Money(t.Amount), CashAfter: Money(t.CashAfter),
		Time: rfc3339(t.Time),
	}
}

func (s *Server) handlePortfolio(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	v, err := s.store.Valuation(c.UserContext(), sess.AccountID, s.market)
	if err != nil {
		return err
	}
	out := toPortfolioJSON(v)
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
		e := portfolio.Errorf(portfolio.CodeInvalidQuantity, "quantity is required")
		e.Field = "quantity"
		return 0, e
	}
	q, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		e := portfolio.Errorf(portfolio.CodeInvalidQuantity,
			"quantity must be a whole number of shares written as a JSON integer")
		e.Field = "quantity"
		return 0, e
	}
	return q, nil
}

func (s *Server) handlePlaceTrade(c *fiber.Ctx) (err error) {
	sess, _ := sessionOf(c)
	var body tradeBody
	defer func() { s.metrics.countTrade(portfolio.Side(body.Side), err) }()
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	qty, err := parseQuantity(body.Quantity)
	if err != nil {
		return err
	}
	req := portfolio.TradeRequest{
		Symbol:   strings.ToUpper(strings.TrimSpace(body.Symbol)),
		Side:     portfolio.Side(body.Side),
		Quantity: qty,
	}
	t, err := s.store.PlaceTrade(c.UserContext(), sess.AccountID, req, s.market)
	if err != nil {
		return err
	}
	s.streams.portfolioChanged(sess.AccountID)
	return c.Status(http.StatusCreated).JSON(toTradeJSON(t))
}

func (s *Server) handleTrades(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	limit := defaultTradesLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTradesLimit {
			return newProblem(codeInvalidParameter, "limit",
				"limit must be a whole number from 1 to "+strconv.Itoa(maxTradesLimit))
		}
		limit = n
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
