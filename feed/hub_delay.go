package feed

// release notifies the subscribers Publish collected: at once, or with a
// WriteDelay through the one timer that notifies everything collected
// until it fires (arming it if it is not). A subscriber stays signalled
// (and so out of h.wake) until its Take, so the ticks of every Publish
// before the timer fires reach it in one Take. Caller holds h.pubMu.
func (h *Hub) release() {
	if h.cfg.WriteDelay <= 0 {
		h.notify()
		return
	}
	if len(h.wake) > 0 && !h.delayArmed {
		h.delayArmed = true
		h.afterFunc(h.cfg.WriteDelay, h.releaseDelayed)
	}
}

// releaseDelayed is the WriteDelay timer's function: it notifies what
// the Publishes since the timer was armed collected.
func (h *Hub) releaseDelayed() {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	h.delayArmed = false
	h.notify()
}
