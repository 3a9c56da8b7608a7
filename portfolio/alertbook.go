package portfolio

import (
	"sort"
	"sync"
	"time"
)

// AlertBook holds the active alerts of every account by symbol, arranged so
// that a tick finds the ones it fires without looking at the others: per
// symbol and condition the alerts are sorted so that those a tick fires
// always form the tail of the list. A tick that fires nothing costs one map
// lookup and four comparisons; each alert fired costs one more step.
// Adding or removing an alert is a binary search and a copy. An AlertBook
// is safe for concurrent use.
//
// The change_pct conditions are kept by their basis points, not as a price:
// whether they hold is decided at each tick against that tick's previous
// close, so a new session (a new previous close) needs no rebuilding.
type AlertBook struct {
	mu      sync.Mutex
	symbols map[string]*symbolAlerts
	where   map[int64]alertKey // alert id → where it is
}

// symbolAlerts are one symbol's active alerts, one list per condition.
type symbolAlerts struct {
	lists [4][]bookEntry
}

// alertKey locates an alert in the book.
type alertKey struct {
	symbol string
	list   int
	key    int64
}

// bookEntry is an alert and its sort key. Each list is sorted by (key, id)
// and a tick fires exactly the entries whose key is at least its bar (see
// bar), so the fired entries are the list's tail.
type bookEntry struct {
	key   int64
	alert Alert
}

// The lists of a symbol, and how each maps a threshold to a key:
// "above t" fires when price >= t, i.e. -t >= -price (key -t, bar -price);
// "below t" fires when price <= t (key t, bar price); the change_pct
// conditions do the same with the tick's change in basis points, rounded
// down for "above" and up for "below".
const (
	listAbove = iota
	listBelow
	listPctAbove
	listPctBelow
)

// NewAlertBook returns an empty book.
func NewAlertBook() *AlertBook {
	return &AlertBook{symbols: make(map[string]*symbolAlerts), where: make(map[int64]alertKey)}
}

// listOf returns the list an alert belongs in and its key there.
func listOf(a Alert) (list int, key int64) {
	switch a.Condition {
	case Above:
		return listAbove, -a.Threshold
	case Below:
		return listBelow, a.Threshold
	case ChangePctAbove:
		return listPctAbove, -a.Threshold
	default:
		return listPctBelow, a.Threshold
	}
}

// Add puts an active alert in the book. An alert that is not active, has
// an unknown condition or is in the book already is ignored.
func (b *AlertBook) Add(a Alert) {
	if a.Status != AlertActive || !a.Condition.Valid() {
		return
	}
	list, key := listOf(a)
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.where[a.ID]; ok {
		return
	}
	sa := b.symbols[a.Symbol]
	if sa == nil {
		sa = &symbolAlerts{}
		b.symbols[a.Symbol] = sa
	}
	l := sa.lists[list]
	i := search(l, key, a.ID)
	l = append(l, bookEntry{})
	copy(l[i+1:], l[i:])
	l[i] = bookEntry{key: key, alert: a}
	sa.lists[list] = l
	b.where[a.ID] = alertKey{symbol: a.Symbol, list: list, key: key}
}

// Remove takes the alert with id out of the book and reports whether it
// was there.
func (b *AlertBook) Remove(id int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	at, ok := b.where[id]
	if !ok {
		return false
	}
	delete(b.where, id)
	sa := b.symbols[at.symbol]
	l := sa.lists[at.list]
	if i := search(l, at.key, id); i < len(l) && l[i].alert.ID == id {
		copy(l[i:], l[i+1:])
		l[len(l)-1] = bookEntry{}
		sa.lists[at.list] = l[:len(l)-1]
	}
	b.dropIfEmpty(at.symbol, sa)
	return true
}

// Len returns the number of alerts in the book.
func (b *AlertBook) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.where)
}

// Tick takes out of the book every alert of symbol that a tick at price
// (with the symbol's previous close prevClose, both cents) fires, and
// appends them to dst as firings with the tick's price, seq and time.
// Each alert leaves the book the first time it fires, so a later tick
// cannot fire it again; one that could not be recorded may be put back
// with Add.
func (b *AlertBook) Tick(dst []Firing, symbol string, price, prevClose int64, seq uint64, at time.Time) []Firing {
	b.mu.Lock()
	defer b.mu.Unlock()
	sa := b.symbols[symbol]
	if sa == nil {
		return dst
	}
	bars := [4]int64{listAbove: -price, listBelow: price}
	pct := 2
	if floor, ceil, ok := changeBP(price, prevClose); ok {
		bars[listPctAbove], bars[listPctBelow] = -floor, ceil
		pct = 4
	}
	for list := range pct {
		l := sa.lists[list]
		n := len(l)
		for n > 0 && l[n-1].key >= bars[list] {
			n--
			dst = append(dst, Firing{Alert: l[n].alert, Price: price, Seq: seq, Time: at})
			delete(b.where, l[n].alert.ID)
			l[n] = bookEntry{}
		}
		sa.lists[list] = l[:n]
	}
	b.dropIfEmpty(symbol, sa)
	return dst
}

// dropIfEmpty forgets a symbol without alerts; b.mu is held.
func (b *AlertBook) dropIfEmpty(symbol string, sa *symbolAlerts) {
	for _, l := range sa.lists {
		if len(l) > 0 {
			return
		}
	}
	delete(b.symbols, symbol)
}

// search returns where (key, id) belongs in l, sorted by (key, id).
func search(l []bookEntry, key, id int64) int {
	return sort.Search(len(l), func(i int) bool {
		return l[i].key > key || l[i].key == key && l[i].alert.ID >= id
	})
}
