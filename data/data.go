// Package data ships tickerd's built-in data: the symbol universe of the
// simulated market. The default database file also lives in this folder
// (git-ignored), created on first start.
package data

import _ "embed"

// SymbolsCSV is the simulated universe: ticker, name, sector, starting price,
// annualised volatility and drift, one symbol per line after a header.
//
//go:embed symbols.csv
var SymbolsCSV []byte
