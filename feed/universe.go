package feed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// universeHeader is the exact header LoadUniverse expects.
var universeHeader = []string{"ticker", "name", "sector", "price", "volatility", "drift"}

// maxTickerLen bounds a ticker's length.
const maxTickerLen = 10

// LoadUniverse reads a symbol universe as CSV with the header
// ticker,name,sector,price,volatility,drift. Prices are decimal dollars with
// at most two fraction digits ("187.12") and are parsed exactly into cents.
// Every row is validated (see Symbol.Validate) and tickers must be unique;
// errors name the offending line. Symbols are returned in file order.
func LoadUniverse(r io.Reader) ([]Symbol, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(universeHeader)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'

	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("load universe: empty input, want a header line")
		}
		return nil, fmt.Errorf("load universe: %w", err)
	}
	for i, want := range universeHeader {
		if strings.TrimSpace(strings.ToLower(header[i])) != want {
			line, _ := cr.FieldPos(i)
			return nil, fmt.Errorf("load universe: line %d: header column %d is %q, want %q",
				line, i+1, header[i], want)
		}
	}

	var syms []Symbol
	seen := make(map[string]int) // ticker → line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load universe: %w", err) // csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		s, err := parseSymbolRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("load universe: line %d: %w", line, err)
		}
		if prev, dup := seen[s.Ticker]; dup {
			return nil, fmt.Errorf("load universe: line %d: duplicate ticker %q (first on line %d)",
				line, s.Ticker, prev)
		}
		seen[s.Ticker] = line
		syms = append(syms, s)
	}
	if len(syms) == 0 {
		return nil, errors.New("load universe: no symbols after the header")
	}
	return syms, nil
}

// parseSymbolRecord turns one CSV record into a validated Symbol.
func parseSymbolRecord(rec []string) (Symbol, error) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	s := Symbol{Ticker: rec[0], Name: rec[1], Sector: rec[2]}
	var err error
	if s.Price, err = ParseCents(rec[3]); err != nil {
		return Symbol{}, fmt.Errorf("price: %w", err)
	}
	if s.Volatility, err = strconv.ParseFloat(rec[4], 64); err != nil {
		return Symbol{}, fmt.Errorf("volatility %q is not a number", rec[4])
	}
	if s.Drift, err = strconv.ParseFloat(rec[5], 64); err != nil {
		return Symbol{}, fmt.Errorf("drift %q is not a number", rec[5])
	}
	if err := s.Validate(); err != nil {
		return Symbol{}, err
	}
	return s, nil
}

// Validate reports whether s can be simulated: an upper-case ticker of
// letters, digits, '.' or '-' (starting with a letter, at most 10 long), a
// name and a sector, a positive price, 0 < volatility < 5 and a finite drift
// with |drift| < 1.
func (s Symbol) Validate() error {
	if err := validateTicker(s.Ticker); err != nil {
		return err
	}
	switch {
	case s.Name == "":
		return fmt.Errorf("symbol %s: empty name", s.Ticker)
	case s.Sector == "":
		return fmt.Errorf("symbol %s: empty sector", s.Ticker)
	case s.Price <= 0:
		return fmt.Errorf("symbol %s: price must be positive, got %d cents", s.Ticker, s.Price)
	case !(s.Volatility > 0 && s.Volatility < 5): // also rejects NaN
		return fmt.Errorf("symbol %s: volatility must be in (0, 5), got %v", s.Ticker, s.Volatility)
	case !(math.Abs(s.Drift) < 1):
		return fmt.Errorf("symbol %s: drift must be in (-1, 1), got %v", s.Ticker, s.Drift)
	}
	return nil
}

func validateTicker(t string) error {
	if t == "" {
		return errors.New("empty ticker")
	}
	if len(t) > maxTickerLen {
		return fmt.Errorf("ticker %q longer than %d characters", t, maxTickerLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		ok := c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-')
		if !ok {
			return fmt.Errorf("ticker %q must be upper-case letters (then digits, '.' or '-')", t)
		}
	}
	return nil
}

// ParseCents parses a non-negative decimal amount of dollars with at most
// two fraction digits ("187.12", "3", "0.5") into integer cents, exactly.
func ParseCents(s string) (int64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%q is not a decimal amount", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two fraction digits", s)
	}
	if hasDot && frac == "" {
		return 0, fmt.Errorf("%q is not a decimal amount", s)
	}
	if len(whole) > 12 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	var cents int64
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%q is not a decimal amount", s)
			}
			cents = cents*10 + int64(c-'0')
		}
	}
	for i := len(frac); i < 2; i++ {
		cents *= 10
	}
	return cents, nil
}
