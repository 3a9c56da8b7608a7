package portfolio

// MaxWatchlist is the most symbols one account may watch.
const MaxWatchlist = 50

// NormalizeWatchlist returns symbols trimmed and upper-cased, in the given
// order, or *Error invalid_watchlist if there are more than MaxWatchlist,
// a duplicate, or one that is not shaped like a ticker. Whether the market
// lists each symbol is for the caller to check. The result is never nil.
func NormalizeWatchlist(symbols []string) ([]string, error) {
	if len(symbols) > MaxWatchlist {
		return nil, fieldErrorf(CodeInvalidWatchlist, "symbols",
			"a watchlist holds at most %d symbols, got %d", MaxWatchlist, len(symbols))
	}
	out := make([]string, 0, len(symbols))
	seen := make(map[string]bool, len(symbols))
	for _, sym := range symbols {
		sym = NormalizeSymbol(sym)
		if !ValidSymbol(sym) {
			return nil, fieldErrorf(CodeInvalidWatchlist, "symbols",
				"%q is not a valid symbol (1 to 10 characters: A-Z, 0-9, '.', '-')", sym)
		}
		if seen[sym] {
			return nil, fieldErrorf(CodeInvalidWatchlist, "symbols", "%s appears more than once", sym)
		}
		seen[sym] = true
		out = append(out, sym)
	}
	return out, nil
}
