package portfolio

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost parameters of a password hash.
type argonParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// defaultArgonParams follow OWASP's argon2id recommendation
// (19 MiB, 2 passes, 1 lane).
var defaultArgonParams = argonParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash, so a corrupt row cannot
// make one login allocate gigabytes.
const (
	maxArgonMemory  = 1 << 20 // 1 GiB in KiB
	maxArgonTime    = 16
	maxArgonKeyLen  = 128
	maxArgonSaltLen = 128
)

var b64 = base64.RawStdEncoding

// hasher hashes and verifies passwords with argon2id on a fixed number of
// worker goroutines, so a storm of logins queues instead of taking every
// CPU. Each worker runs on an OS thread of its own at a lower scheduling
// priority (see lowerThreadPriority), so hashing gets the CPU time the price
// feed and the other requests leave over rather than an equal share of it.
type hasher struct {
	params argonParams
	jobs   chan hashJob  // verifications: logins, waiting on a client
	low    chan hashJob  // new hashes (registrations, resets), taken only when no login waits
	done   chan struct{} // closed by close
	wg     sync.WaitGroup

	busyMu  sync.Mutex
	pending int             // derivations waiting or running
	onBusy  func(busy bool) // Options.HashBusy; may be nil
	dummy   string          // hash of a random password, verified for unknown users
}

// hashJob is one argon2id derivation; its key is sent on out.
type hashJob struct {
	password, salt []byte
	p              argonParams
	out            chan<- []byte
}

// DefaultHashConcurrency is the number of password hashes computed at once
// when Options.HashConcurrency is 0: one per two CPUs, at least one.
func DefaultHashConcurrency() int { return max(1, runtime.NumCPU()/2) }

var errHasherClosed = errors.New("password hashing stopped: the store is closed")

func newHasher(params argonParams, concurrency int, onBusy func(bool)) (*hasher, error) {
	if params == (argonParams{}) {
		params = defaultArgonParams
	}
	if concurrency <= 0 {
		concurrency = DefaultHashConcurrency()
	}
	h := &hasher{params: params, jobs: make(chan hashJob), low: make(chan hashJob), done: make(chan struct{}), onBusy: onBusy}
	h.wg.Add(concurrency)
	for range concurrency {
		go h.work()
	}
	pw := make([]byte, 32)
	if _, err := rand.Read(pw); err != nil {
		h.close()
		return nil, fmt.Errorf("dummy password: %w", err)
	}
	dummy, err := h.hash(context.Background(), string(pw))
	if err != nil {
		h.close()
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// work runs jobs until close, a waiting verification before any new hash:
// a flood of registrations then delays a login by at most the hashes
// already running, instead of queueing it behind every one of them. Its
// thread stays locked, so the lowered priority never reaches other
// goroutines: when work returns, the runtime ends the thread.
func (h *hasher) work() {
	defer h.wg.Done()
	runtime.LockOSThread()
	lowerThreadPriority()
	for {
		var j hashJob
		select {
		case j = <-h.jobs:
		default:
			select {
			case j = <-h.jobs:
			case j = <-h.low:
			case <-h.done:
				return
			}
		}
		j.out <- argon2.IDKey(j.password, j.salt, j.p.Time, j.p.Memory, j.p.Threads, j.p.KeyLen)
	}
}

// busy counts a derivation in (+1) or out (-1), telling onBusy when
// hashing starts and stops.
func (h *hasher) busy(d int) {
	if h.onBusy == nil {
		return
	}
	h.busyMu.Lock()
	defer h.busyMu.Unlock()
	h.pending += d
	switch {
	case d > 0 && h.pending == 1:
		h.onBusy(true)
	case d < 0 && h.pending == 0:
		h.onBusy(false)
	}
}

// close stops the workers once their current jobs are done. Calls waiting
// for a worker fail with errHasherClosed.
func (h *hasher) close() {
	close(h.done)
	h.wg.Wait()
}

// derive runs argon2id on a worker, waiting for a free one, for ctx to end
// or for close. queue is h.jobs (verifications) or h.low (new hashes).
func (h *hasher) derive(ctx context.Context, queue chan<- hashJob, password string, salt []byte, p argonParams) ([]byte, error) {
	h.busy(+1)
	defer h.busy(-1)
	out := make(chan []byte, 1)
	select {
	case queue <- hashJob{password: []byte(password), salt: salt, p: p, out: out}:
		return <-out, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for password hashing: %w", ctx.Err())
	case <-h.done:
		return nil, errHasherClosed
	}
}

// hash returns the PHC string of password, after any verification waiting:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	p := h.params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key, err := h.derive(ctx, h.low, password, salt, p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verify reports whether password matches the PHC string encoded, comparing
// in constant time. It errors only for a malformed hash or an ended ctx.
func (h *hasher) verify(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, h.jobs, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyDummy spends the same work as verify on a hash no password matches,
// so that an unknown username costs as long as a wrong password.
func (h *hasher) verifyDummy(ctx context.Context, password string) error {
	_, err := h.verify(ctx, password, h.dummy)
	return err
}

// outdated reports whether encoded was made with other parameters than the
// current ones and should be rehashed.
func (h *hasher) outdated(encoded string) bool {
	p, _, _, err := parsePHC(encoded)
	return err != nil || p != h.params
}

var errBadHash = errors.New("malformed password hash")

func parsePHC(encoded string) (p argonParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.Memory == 0 || p.Memory > maxArgonMemory || p.Time == 0 || p.Time > maxArgonTime || p.Threads == 0 ||
		len(key) == 0 || len(key) > maxArgonKeyLen || len(salt) > maxArgonSaltLen {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
