package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/feed"
)

// registerMarketRoutes: the state of the simulated market. Public, like
// prices.
func (s *Server) registerMarketRoutes(api fiber.Router) {
	api.Get("/market", s.handleMarket)
}

// marketJSON is GET /api/v1/market's answer.
type marketJSON struct {
	Clock          string        `json:"clock"` // the simulated clock, RFC 3339 with milliseconds
	Speed          float64       `json:"speed"`
	TicksPerSecond float64       `json:"ticks_per_second"`
	Halted         []string      `json:"halted"`   // symbols halted now, by ticker
	Scenario       *scenarioJSON `json:"scenario"` // null without one
}

type scenarioJSON struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Events      []scenarioEventJSON `json:"events"` // in force or still to come, by start
}

type scenarioEventJSON struct {
	Type     string   `json:"type"`
	Scope    string   `json:"scope"`
	Symbol   string   `json:"symbol,omitempty"`
	Sector   string   `json:"sector,omitempty"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Active   bool     `json:"active"`
	Percent  *float64 `json:"percent,omitempty"`
	Factor   *float64 `json:"factor,omitempty"`
	Duration float64  `json:"duration_s"`
}

// marketTime formats a simulated time with milliseconds: at -speed above 1
// many events fall within one second.
func marketTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (s *Server) handleMarket(c *fiber.Ctx) error {
	now := s.market.Now()
	out := marketJSON{
		Clock:          marketTime(now),
		Speed:          s.market.Speed(),
		TicksPerSecond: s.market.TicksPerSecond(),
		Halted:         []string{},
	}
	for _, q := range s.market.AllQuotes() {
		if q.Status == feed.StatusHalted {
			out.Halted = append(out.Halted, q.Symbol)
		}
	}
	if sc := s.market.Scenario(); sc != nil {
		js := &scenarioJSON{Name: sc.Name, Description: sc.Description, Events: []scenarioEventJSON{}}
		for _, e := range s.market.Upcoming() {
			ev := scenarioEventJSON{
				Type: string(e.Type), Scope: e.Scope(), Symbol: e.Symbol, Sector: e.Sector,
				Start: marketTime(e.Start), End: marketTime(e.End), Active: e.Active(now),
				Duration: e.Duration.Seconds(),
			}
			if e.Percent != 0 {
				ev.Percent = &e.Percent
			}
			if e.Factor != 0 {
				ev.Factor = &e.Factor
			}
			js.Events = append(js.Events, ev)
		}
		out.Scenario = js
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(out)
}
