package feed

// What a hub holds of one symbol, for a node that keeps only some symbols
// (an edge of a cluster that subscribes to ticks by interest).

// Recent returns copies of the ticks of symbol the hub holds for replay,
// oldest first (none without a history). It is what another node needs to
// serve resumes of the symbol as this one would.
func (h *Hub) Recent(symbol string) []Quote {
	t, ok := (*h.topics.Load())[symbol]
	if !ok {
		return nil
	}
	// Exclusively, as a resume reads it: Publish appends holding it shared.
	t.mu.Lock()
	defer t.mu.Unlock()
	t.held.expire(h.now(), h.cfg.ReplayWindow)
	out := make([]Quote, 0, t.held.n)
	for i := range t.held.n {
		out = append(out, *t.held.at(i))
	}
	return out
}

// Watched reports whether some subscriber (quotes or watch) holds symbol.
func (h *Hub) Watched(symbol string) bool {
	t, ok := (*h.topics.Load())[symbol]
	if !ok {
		return false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.slots) > 0
}

// Forget drops symbol's latest quote and history, so that the next quotes
// Publish receives for it are taken whatever their seq, and reports true;
// it does nothing and reports false while a subscriber holds the symbol.
// A node calls it when it stops receiving a symbol's ticks: what it held
// would otherwise be replayed to a resume as if no tick had been missed.
func (h *Hub) Forget(symbol string) bool {
	t, ok := (*h.topics.Load())[symbol]
	if !ok {
		return true
	}
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.slots) > 0 {
		return false
	}
	t.last.Store(nil)
	t.held = history{}
	return true
}
