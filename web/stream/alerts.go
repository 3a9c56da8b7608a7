package stream

// ChannelAlerts is the channel of the account's price alerts: one "alert"
// message each time one of them fires.
const ChannelAlerts = "alerts"

// eventAlert is the SSE event name (and WebSocket message type) of a fired
// alert.
const eventAlert = "alert"

// maxQueuedAlerts is how many alert messages may wait for a client that
// does not let the writer write them; beyond it the client is too slow.
// An account has at most 100 active alerts, so a healthy client never
// gets near it.
const maxQueuedAlerts = 256

// AlertFired queues msg, the whole JSON of an "alert" message, for every
// open stream of the account subscribed to the alerts channel, and wakes
// their writers: it goes out through each connection's one writer, after
// any reply queued before it. It never blocks on a client.
func (r *Registry) AlertFired(accountID int64, msg []byte) {
	r.each(func(st *stream) bool {
		sess, ok := st.session()
		return ok && sess.AccountID == accountID && st.alerts.Load()
	}, func(st *stream) {
		st.replyMu.Lock()
		if !st.alerts.Load() { // unsubscribed meanwhile: its reply is queued already
			st.replyMu.Unlock()
			return
		}
		if len(st.alertMsgs) >= maxQueuedAlerts {
			st.replyMu.Unlock()
			st.requestClose(CloseTooSlow, "client too slow")
			return
		}
		b := r.frames.getFrame()
		*b = append(*b, msg...)
		st.alertMsgs = append(st.alertMsgs, b)
		st.replyMu.Unlock()
		st.sub.Wake()
	})
}

// writeAlerts writes queued alert messages in order and recycles them;
// after a failed write the rest are dropped.
func (w *writer) writeAlerts(alerts []*[]byte) error {
	var err error
	for _, a := range alerts {
		if err == nil {
			err = w.f.message(eventAlert, *a)
		}
		w.reg.frames.put(a)
	}
	return err
}
