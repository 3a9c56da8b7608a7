package wire

import "github.com/tickerd/tickerd/portfolio"

// Alert is the wire form of a price alert, shared by the REST API and the
// streams' "alert" message. Exactly one of Price (conditions above and
// below) and Percent (change_pct_above and change_pct_below) is set, the
// other null; the Triggered fields are null while the alert is active.
type Alert struct {
	ID             int64    `json:"id"`
	Symbol         string   `json:"symbol"`
	Condition      string   `json:"condition"`
	Price          *Money   `json:"price"`
	Percent        *Percent `json:"percent"`
	Status         string   `json:"status"`
	CreatedAt      string   `json:"created_at"`
	TriggeredPrice *Money   `json:"triggered_price"`
	Seq            *uint64  `json:"seq"`
	TriggeredAt    *string  `json:"triggered_at"`
}

// FromAlert converts an alert to its wire form.
func FromAlert(a portfolio.Alert) Alert {
	out := Alert{
		ID: a.ID, Symbol: a.Symbol, Condition: string(a.Condition), Status: string(a.Status),
		CreatedAt: Time(a.CreatedAt),
	}
	if a.Condition.Percent() {
		p := Percent(a.Threshold)
		out.Percent = &p
	} else {
		m := Money(a.Threshold)
		out.Price = &m
	}
	if a.Status == portfolio.AlertTriggered {
		m, seq, at := Money(a.TriggeredPrice), a.TriggeredSeq, Time(a.TriggeredAt)
		out.TriggeredPrice, out.Seq, out.TriggeredAt = &m, &seq, &at
	}
	return out
}

// AppendAlertData appends the streams' message for a fired alert given as
// its wire JSON (an Alert as encoding/json writes it), which it copies
// unchanged; the caller has checked that data is one JSON object.
func AppendAlertData(dst, data []byte) []byte {
	dst = append(dst, `{"type":"alert","data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}
