package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/wire"
)

// registerAlertRoutes: the account's price alerts.
func (s *Server) registerAlertRoutes(api fiber.Router) {
	api.Post("/alerts", s.requireSession, s.handleCreateAlert)
	api.Get("/alerts", s.requireSession, s.handleAlerts)
	api.Delete("/alerts/:id", s.requireSession, s.handleDeleteAlert)
}

// alertBody keeps price and percent raw so that they are read exactly, as
// decimals, never through a float.
type alertBody struct {
	Symbol    string          `json:"symbol"`
	Condition string          `json:"condition"`
	Price     json.RawMessage `json:"price"`
	Percent   json.RawMessage `json:"percent"`
}

// request checks the body's shape and returns the alert it asks for; the
// store checks the rest.
func (b alertBody) request() (portfolio.AlertRequest, error) {
	req := portfolio.AlertRequest{
		Symbol:    portfolio.NormalizeSymbol(b.Symbol),
		Condition: portfolio.Condition(b.Condition),
	}
	if !req.Condition.Valid() {
		return req, problemf(portfolio.CodeInvalidCondition, "condition",
			"condition must be one of %q, %q, %q or %q",
			portfolio.Above, portfolio.Below, portfolio.ChangePctAbove, portfolio.ChangePctBelow)
	}
	given := func(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
	if req.Condition.Percent() {
		if given(b.Price) {
			return req, problemf(portfolio.CodeInvalidPrice, "price",
				"condition %s takes a percent, not a price", req.Condition)
		}
		if !given(b.Percent) {
			return req, problemf(codeMissingField, "percent",
				"field \"percent\" is required for condition %s", req.Condition)
		}
		bp, ok := parseHundredths(b.Percent, true)
		if !ok {
			return req, newProblem(portfolio.CodeInvalidPercent, "percent",
				"percent must be a JSON number with at most two decimals, like 2.5 or -3")
		}
		req.Threshold = bp
		return req, nil
	}
	if given(b.Percent) {
		return req, problemf(portfolio.CodeInvalidPercent, "percent",
			"condition %s takes a price, not a percent", req.Condition)
	}
	if !given(b.Price) {
		return req, problemf(codeMissingField, "price", "field \"price\" is required for condition %s", req.Condition)
	}
	cents, ok := parseHundredths(b.Price, false)
	if !ok || cents <= 0 {
		return req, newProblem(portfolio.CodeInvalidPrice, "price",
			"price must be a positive JSON number with at most two decimals, like 190.00")
	}
	req.Threshold = cents
	return req, nil
}

// parseHundredths reads a JSON number with at most two decimals, in plain
// notation ("190", "190.5", "-3.25" if signed), as an exact count of
// hundredths.
func parseHundredths(raw json.RawMessage, signed bool) (int64, bool) {
	s := string(raw)
	neg := false
	if signed && strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if strings.HasPrefix(s, ".") {
		return 0, false
	}
	n, err := feed.ParseCents(s)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func (s *Server) handleCreateAlert(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	var body alertBody
	if err := decodeJSON(c, &body, "symbol", "condition"); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	if _, ok := s.market.Lookup(req.Symbol); !ok {
		return unknownSymbol("symbol", req.Symbol)
	}
	a, err := s.alerts.Create(c.UserContext(), sess.AccountID, req, s.market)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/alerts/"+strconv.FormatInt(a.ID, 10))
	return c.Status(http.StatusCreated).JSON(wire.FromAlert(a))
}

func (s *Server) handleAlerts(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	var status portfolio.AlertStatus
	switch v := c.Query("status", "all"); v {
	case "all":
	case string(portfolio.AlertActive), string(portfolio.AlertTriggered):
		status = portfolio.AlertStatus(v)
	default:
		return newProblem(codeInvalidParameter, "status", "status must be active, triggered or all")
	}
	limit, err := pageLimit(c, portfolio.DefaultAlertsLimit, portfolio.MaxAlertsLimit)
	if err != nil {
		return err
	}
	alerts, next, err := s.store.Alerts(c.UserContext(), sess.AccountID, status, c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Alerts     []wire.Alert `json:"alerts"`
		NextCursor *string      `json:"next_cursor"`
	}{Alerts: make([]wire.Alert, 0, len(alerts))}
	for _, a := range alerts {
		out.Alerts = append(out.Alerts, wire.FromAlert(a))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return c.JSON(out)
}

func (s *Server) handleDeleteAlert(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return newProblem(codeNotFound, "", "no such alert: "+c.Params("id"))
	}
	if _, err := s.alerts.Delete(c.UserContext(), sess.AccountID, id); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// AlertFired pushes a fired alert to its account's streams subscribed to
// the alerts channel, and hands it to Deps.Events (a core publishes it to
// the edges). It is what AlertWatch.Run announces to.
func (s *Server) AlertFired(a portfolio.Alert) {
	data, err := json.Marshal(wire.FromAlert(a))
	if err != nil {
		s.log.Error("encode fired alert", "alert", a.ID, "err", err)
		return
	}
	s.streams.AlertFired(a.AccountID, wire.AppendAlertData(nil, data))
	if s.events != nil {
		s.events.AlertFired(a.AccountID, data)
	}
}
