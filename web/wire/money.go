// Package wire is the JSON that tickerd's REST API and its streams both
// write: exact money, the portfolio valuation, and the string appenders the
// hand-written encoders share; and the exact-key check both read client
// JSON with. It knows nothing of HTTP or sockets.
package wire

import "github.com/tickerd/tickerd/feed"

// Money is an amount in cents that encodes as a JSON number of dollars with
// exactly two decimals (10000000 → 100000.00), exact, never via float.
type Money int64

// MarshalJSON encodes m with feed.AppendCents.
func (m Money) MarshalJSON() ([]byte, error) {
	return feed.AppendCents(make([]byte, 0, 24), int64(m)), nil
}

// Percent is a ratio in basis points that encodes as a JSON number of
// percent with exactly two decimals (28 → 0.28, meaning 0.28 %).
type Percent int64

// MarshalJSON encodes p with feed.AppendCents: hundredths of a percent
// are basis points.
func (p Percent) MarshalJSON() ([]byte, error) {
	return feed.AppendCents(make([]byte, 0, 24), int64(p)), nil
}
