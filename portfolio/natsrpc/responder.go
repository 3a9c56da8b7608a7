package natsrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/portfolio"
)

// Accounts is what the core's responder reads. *portfolio.Store implements
// it.
type Accounts interface {
	Authenticate(ctx context.Context, token string) (portfolio.Session, error)
	Holdings(ctx context.Context, accountID int64) (cash int64, positions []portfolio.Position, err error)
	Ping(ctx context.Context) error
	LiveSessions(ctx context.Context, ids []string) (map[string]bool, error)
}

var _ Accounts = (*portfolio.Store)(nil)

// Limits of the responder.
const (
	requestTimeout = 2 * time.Second // the store's share of an edge's timeout
	maxInFlight    = 32              // requests answered at once; more wait in NATS
)

// Responder is the core's side: it answers rpc.auth, rpc.holdings and
// rpc.ping, and (as Events) publishes account events.
type Responder struct {
	nc       *nats.Conn
	cluster  string
	accounts Accounts
	log      *slog.Logger

	slots chan struct{}
	wg    sync.WaitGroup
	subs  []*nats.Subscription
}

// Serve subscribes the responder on nc; Close unsubscribes it and waits
// for the requests in progress.
func Serve(nc *nats.Conn, cluster string, accounts Accounts, log *slog.Logger) (*Responder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Responder{nc: nc, cluster: cluster, accounts: accounts, log: log, slots: make(chan struct{}, maxInFlight)}
	for subject, h := range map[string]func(context.Context, []byte) any{
		cluster + authToken:     r.auth,
		cluster + holdingsToken: r.holdings,
		cluster + pingToken:     r.ping,
		cluster + sessionsToken: r.sessions,
	} {
		sub, err := nc.Subscribe(subject, r.handler(h))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("subscribe %s: %w", subject, err)
		}
		r.subs = append(r.subs, sub)
	}
	if err := nc.Flush(); err != nil { // answering when Serve returns
		r.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return r, nil
}

// Close stops answering and waits for the answers in progress.
func (r *Responder) Close() {
	for _, s := range r.subs {
		_ = s.Unsubscribe()
	}
	r.wg.Wait()
}

// handler answers each request on its own goroutine, at most maxInFlight
// at once, so one slow database call does not hold up the others.
func (r *Responder) handler(h func(context.Context, []byte) any) nats.MsgHandler {
	return func(m *nats.Msg) {
		r.slots <- struct{}{}
		r.wg.Add(1)
		go func() {
			defer func() { <-r.slots; r.wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			b, err := json.Marshal(h(ctx, m.Data))
			if err != nil {
				r.log.Error("encode reply", "subject", m.Subject, "err", err)
				return
			}
			if err := m.Respond(b); err != nil && !errors.Is(err, nats.ErrMsgNoReply) {
				r.log.Warn("reply", "subject", m.Subject, "err", err)
			}
		}()
	}
}

func (r *Responder) auth(ctx context.Context, data []byte) any {
	var req authRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return authReply{Error: &wireError{Code: portfolio.CodeUnauthorized, Message: "malformed request"}}
	}
	sess, err := r.accounts.Authenticate(ctx, req.Token)
	if err != nil {
		if portfolio.ErrorCode(err) == portfolio.CodeInternal {
			r.log.Error("rpc auth", "err", err)
		}
		return authReply{Error: toWireError(err)}
	}
	return authReply{Session: &sessionJSON{ID: sess.ID, AccountID: sess.AccountID, Username: sess.Username, ExpiresAt: sess.ExpiresAt}}
}

func (r *Responder) holdings(ctx context.Context, data []byte) any {
	var req holdingsRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return holdingsReply{Error: &wireError{Code: portfolio.CodeInternal, Message: "malformed request"}}
	}
	cash, pos, err := r.accounts.Holdings(ctx, req.AccountID)
	if err != nil {
		if portfolio.ErrorCode(err) == portfolio.CodeInternal {
			r.log.Error("rpc holdings", "account_id", req.AccountID, "err", err)
		}
		return holdingsReply{Error: toWireError(err)}
	}
	out := holdingsReply{Cash: cash, Positions: make([]positionJSON, len(pos))}
	for i, p := range pos {
		out.Positions[i] = positionJSON{Symbol: p.Symbol, Quantity: p.Quantity, CostBasis: p.CostBasis,
			DaySession: p.DaySession, DayOpenQty: p.DayOpenQty, DayNetCash: p.DayNetCash}
	}
	return out
}

func (r *Responder) ping(ctx context.Context, _ []byte) any {
	if err := r.accounts.Ping(ctx); err != nil {
		r.log.Warn("rpc ping: database", "err", err)
		return struct {
			Error *wireError `json:"error"`
		}{&wireError{Code: CodeUnavailable, Message: "the core's database is not reachable"}}
	}
	return struct{}{}
}

func (r *Responder) sessions(ctx context.Context, data []byte) any {
	var req sessionsRequest
	if err := json.Unmarshal(data, &req); err != nil || len(req.IDs) > portfolio.MaxLiveSessionsQuery {
		return sessionsReply{Error: &wireError{Code: portfolio.CodeInternal, Message: "malformed request"}}
	}
	live, err := r.accounts.LiveSessions(ctx, req.IDs)
	if err != nil {
		r.log.Error("rpc sessions", "err", err)
		return sessionsReply{Error: toWireError(err)}
	}
	out := sessionsReply{Live: make([]string, 0, len(live))}
	for id := range live {
		out.Live = append(out.Live, id)
	}
	return out
}

// SessionRevoked publishes <cluster>.session.revoked (web.Events).
func (r *Responder) SessionRevoked(sessionID string) {
	r.publish(r.cluster+revokedToken, revokedEvent{SessionID: sessionID})
}

// AccountChanged publishes <cluster>.account.<id>.changed (web.Events).
func (r *Responder) AccountChanged(accountID int64) {
	r.publish(changedSubject(r.cluster, accountID), changedEvent{AccountID: accountID})
}

// AlertFired publishes <cluster>.account.<id>.alert with the fired
// alert's wire JSON as the payload, unchanged (web.Events). Delivery is at
// most once: an edge that is cut off from NATS then never gets it.
func (r *Responder) AlertFired(accountID int64, alert []byte) {
	r.publishRaw(alertSubject(r.cluster, accountID), alert)
}

func (r *Responder) publish(subject string, v any) {
	b, _ := json.Marshal(v)
	r.publishRaw(subject, b)
}

func (r *Responder) publishRaw(subject string, b []byte) {
	if err := r.nc.Publish(subject, b); err != nil {
		r.log.Warn("publish event", "subject", subject, "err", err)
	}
}
