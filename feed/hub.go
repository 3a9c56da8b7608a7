package feed

// CONTRACT STUB: Hub, NewHub, HubConfig and Publish are fixed names; the
// rest of the hub's API (subscribers, conflation, rate limits) is to be
// designed with the WebSocket transport.

// HubConfig configures a Hub.
type HubConfig struct{}

// Hub fans ticks out to subscribers without ever blocking on one.
type Hub struct{}

// NewHub returns an empty hub.
func NewHub(cfg HubConfig) *Hub { return &Hub{} }

// Publish encodes each quote once and offers it to every subscriber of its
// symbol. It never blocks.
func (h *Hub) Publish(batch []Quote) {}

var _ Publisher = (*Hub)(nil)
