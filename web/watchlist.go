package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
)

// registerWatchlistRoutes: the account's watched symbols.
func (s *Server) registerWatchlistRoutes(api fiber.Router) {
	api.Get("/watchlist", s.requireSession, s.handleWatchlist)
	api.Put("/watchlist", s.requireSession, s.handleSetWatchlist)
}

type watchlistJSON struct {
	Symbols []string `json:"symbols"`
}

func (s *Server) handleWatchlist(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	syms, err := s.store.Watchlist(c.UserContext(), sess.AccountID)
	if err != nil {
		return err
	}
	if syms == nil {
		syms = []string{}
	}
	return c.JSON(watchlistJSON{Symbols: syms})
}

func (s *Server) handleSetWatchlist(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	var body struct {
		Symbols *[]string `json:"symbols"`
	}
	if err := decodeJSON(c, &body, "symbols"); err != nil {
		return err
	}
	if body.Symbols == nil {
		return newProblem(portfolio.CodeInvalidWatchlist, "symbols", "symbols is required (an array, possibly empty)")
	}
	syms := make([]string, 0, len(*body.Symbols))
	for _, sym := range *body.Symbols {
		sym = portfolio.NormalizeSymbol(sym)
		if _, ok := s.market.Lookup(sym); !ok {
			return unknownSymbol("symbols", sym)
		}
		syms = append(syms, sym)
	}
	if err := s.store.SetWatchlist(c.UserContext(), sess.AccountID, syms); err != nil {
		return err
	}
	if s.events != nil {
		s.events.AccountChanged(sess.AccountID)
	}
	return c.JSON(watchlistJSON{Symbols: syms})
}
