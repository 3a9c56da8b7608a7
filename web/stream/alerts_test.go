package stream

import (
	"testing"
	"time"
)

const testAlertMsg = `{"type":"alert","data":{"id":7}}`

func TestAlertFiredReachesSubscribedStreamsOfTheAccount(t *testing.T) {
	w, f, _, _ := newTestWriter(t, Config{}, false) // account 1
	r := w.reg
	sameQuiet, _ := r.enter(transportWS, "ip", nil, nil) // account 1, alerts not subscribed
	other, _ := r.enter(transportWS, "ip", nil, nil)     // account 2, subscribed
	r.authenticate(sameQuiet, session("s2", 1))
	r.authenticate(other, session("s3", 2))
	t.Cleanup(func() { r.leave(sameQuiet); r.leave(other) })
	w.st.alerts.Store(true)
	other.alerts.Store(true)

	r.AlertFired(1, []byte(testAlertMsg))
	if len(sameQuiet.alertMsgs) != 0 || len(other.alertMsgs) != 0 {
		t.Fatal("an alert reached a stream that did not subscribe, or another account's")
	}
	// Queued behind a reply queued before it; written as event "alert".
	w.st.replyMu.Lock()
	w.reg.queueReply(w.st, func(b []byte) []byte { return appendPong(b, nil) })
	w.st.replyMu.Unlock()
	r.AlertFired(1, []byte(testAlertMsg))
	if _, ok := w.pass(time.Now()); !ok {
		t.Fatal("pass ended the stream")
	}
	if got := f.events(); got != "reply,alert,alert" {
		t.Fatalf("wrote %s, want reply,alert,alert", got)
	}
	if f.msgs[1].json != testAlertMsg {
		t.Fatalf("alert message %s, want %s", f.msgs[1].json, testAlertMsg)
	}
}

func TestAlertFiredUnsubscribedAndTooSlow(t *testing.T) {
	w, _, _, _ := newTestWriter(t, Config{}, false)
	r := w.reg
	w.st.alerts.Store(false)
	r.AlertFired(1, []byte(testAlertMsg))
	if len(w.st.alertMsgs) != 0 {
		t.Fatal("queued for a stream without the alerts channel")
	}
	w.st.alerts.Store(true)
	for range maxQueuedAlerts {
		r.AlertFired(1, []byte(testAlertMsg))
	}
	if _, _, ok := w.st.closeRequested(); ok {
		t.Fatal("closed before the queue was full")
	}
	r.AlertFired(1, []byte(testAlertMsg))
	if code, _, ok := w.st.closeRequested(); !ok || code != CloseTooSlow {
		t.Fatalf("close request %d %v, want %d", code, ok, CloseTooSlow)
	}
}
