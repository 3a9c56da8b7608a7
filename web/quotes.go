package web

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/dashboard"
	"github.com/tickerd/tickerd/web/stream"
	"github.com/tickerd/tickerd/web/wire"
)

// defaultCandleSpan is the history returned when from is not given.
const defaultCandleSpan = 6 * time.Hour

// registerQuoteRoutes: the universe, latest quotes and minute candles.
// They need no session: prices are public.
func (s *Server) registerQuoteRoutes(api fiber.Router) {
	api.Get("/symbols", s.handleSymbols)
	api.Get("/quotes", s.handleQuotes)
	api.Get("/quotes/:symbol/candles", s.handleCandles)
}

func (s *Server) handleSymbols(c *fiber.Ctx) error {
	syms := s.market.Symbols()
	if syms == nil {
		syms = []feed.Symbol{}
	}
	return c.JSON(fiber.Map{"symbols": syms})
}

// unknownSymbol is the 422 problem naming a symbol the market lacks.
func unknownSymbol(field, sym string) error {
	return problemf(portfolio.CodeUnknownSymbol, field, "unknown symbol %q", sym)
}

// requestedSymbols parses ?symbols=A,B (upper-cased, duplicates dropped);
// no parameter means the whole universe.
func (s *Server) requestedSymbols(c *fiber.Ctx) ([]string, error) {
	raw := c.Query("symbols")
	if raw == "" {
		all := s.market.Symbols()
		out := make([]string, len(all))
		for i, sym := range all {
			out[i] = sym.Ticker
		}
		return out, nil
	}
	parts := strings.Split(raw, ",")
	out := make([]string, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		sym := portfolio.NormalizeSymbol(p)
		if sym == "" {
			return nil, newProblem(codeInvalidParameter, "symbols",
				"symbols must be a comma-separated list of tickers without empty entries")
		}
		if seen[sym] {
			continue
		}
		if _, ok := s.market.Lookup(sym); !ok {
			return nil, unknownSymbol("symbols", sym)
		}
		seen[sym] = true
		out = append(out, sym)
	}
	return out, nil
}

// handleQuotes answers the latest quotes with an ETag derived from the
// quotes' seqs, and 304 when the client's If-None-Match still matches.
func (s *Server) handleQuotes(c *fiber.Ctx) error {
	syms, err := s.requestedSymbols(c)
	if err != nil {
		return err
	}
	if err := s.streams.Want(syms); err != nil {
		s.log.Warn("quotes", "err", err)
		return newProblem(codeNotReady, "", stream.NotReadyText)
	}
	quotes := make([]feed.Quote, 0, len(syms))
	for _, sym := range syms {
		if q, ok := s.market.Quote(sym); ok {
			quotes = append(quotes, q)
		}
	}
	etag := s.quotesETag(quotes)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	if dashboard.ETagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	buf := make([]byte, 0, 64+len(quotes)*192)
	buf = append(buf, `{"quotes":[`...)
	for i := range quotes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = quotes[i].AppendJSON(buf, false)
	}
	buf = append(buf, "]}"...)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(buf)
}

// quotesETag is a strong validator of a quotes answer: the same symbols at
// the same seqs give the same body within one server run.
func (s *Server) quotesETag(quotes []feed.Quote) string {
	h := fnv.New64a()
	h.Write(s.etagSalt[:])
	var n [8]byte
	for i := range quotes {
		h.Write([]byte(quotes[i].Symbol))
		binary.LittleEndian.PutUint64(n[:], quotes[i].Seq)
		h.Write(n[:])
	}
	return `"q` + hex.EncodeToString(h.Sum(nil)) + `"`
}

type candleJSON struct {
	T int64      `json:"t"`
	O wire.Money `json:"o"`
	H wire.Money `json:"h"`
	L wire.Money `json:"l"`
	C wire.Money `json:"c"`
	V int64      `json:"v"`
}

func (s *Server) handleCandles(c *fiber.Ctx) error {
	sym := portfolio.NormalizeSymbol(c.Params("symbol"))
	if _, ok := s.market.Lookup(sym); !ok {
		return unknownSymbol("symbol", sym)
	}
	// Candles are kept in the market's simulated time, which runs ahead of
	// the wall clock at -speed above 1: the default window ends at its now.
	to, err := parseTimeParam(c.Query("to"), "to", s.market.Now())
	if err != nil {
		return err
	}
	from, err := parseTimeParam(c.Query("from"), "from", to.Add(-defaultCandleSpan))
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return newProblem(codeInvalidParameter, "from", "from must be before to")
	}
	candles, _ := s.market.Candles(sym, from, to)
	out := make([]candleJSON, 0, len(candles))
	for _, k := range candles {
		out = append(out, candleJSON{T: k.Start, O: wire.Money(k.Open), H: wire.Money(k.High),
			L: wire.Money(k.Low), C: wire.Money(k.Close), V: k.Volume})
	}
	return c.JSON(fiber.Map{"symbol": sym, "interval": "1m", "candles": out})
}

// parseTimeParam reads an RFC 3339 time or Unix milliseconds; "" gives def.
func parseTimeParam(v, name string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		if ms < 0 {
			return time.Time{}, newProblem(codeInvalidParameter, name,
				fmt.Sprintf("%s must not be negative", name))
		}
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, newProblem(codeInvalidParameter, name,
			fmt.Sprintf("%s must be an RFC 3339 time (2025-01-02T15:04:05Z) or Unix milliseconds, got %q", name, v))
	}
	return t, nil
}
