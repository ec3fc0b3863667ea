package bundle

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"
)

// signer is what the registry knows of one key id.
type signer struct {
	registered bool // a registration was replayed (a revocation alone does not register)
	public     ed25519.PublicKey
	steps      []string
	validFrom  time.Time
	validUntil *time.Time
	revokedAt  *time.Time
}

// registry is the signer registry replayed from the bundle's key statements in
// index order; it starts empty.
type registry struct {
	admin   ed25519.PublicKey
	signers map[string]*signer
}

func newRegistry(admin ed25519.PublicKey) *registry {
	return &registry{admin: admin, signers: map[string]*signer{}}
}

// authorise is check 5 for one entry: the key that may sign it under the rules of
// "Signer authorisation", or why none may.
func (r *registry) authorise(index uint64, e *envelope, s *statement) (ed25519.PublicKey, error) {
	if (s.registration != nil || s.revocation != nil) && s.step != AdminStep {
		return nil, fmt.Errorf("a key statement is for step %s, not %q", show(s.step), AdminStep)
	}
	if index == 0 {
		return r.bootstrap(e, s)
	}
	k, ok := r.signers[e.keyID]
	if !ok || !k.registered {
		return nil, fmt.Errorf("signed by key %s, which no earlier registration in the bundle registers", show(e.keyID))
	}
	if !slices.Contains(k.steps, s.step) {
		return nil, fmt.Errorf("key %s is not registered for step %s", show(e.keyID), show(s.step))
	}
	at := s.time.Format(time.RFC3339Nano)
	if s.time.Before(k.validFrom) {
		return nil, fmt.Errorf("key %s is valid from %s, after the statement's time %s", show(e.keyID), k.validFrom.Format(time.RFC3339Nano), at)
	}
	if k.validUntil != nil && !s.time.Before(*k.validUntil) {
		return nil, fmt.Errorf("key %s is valid until %s, not at the statement's time %s", show(e.keyID), k.validUntil.Format(time.RFC3339Nano), at)
	}
	if k.revokedAt != nil && !s.time.Before(*k.revokedAt) {
		return nil, fmt.Errorf("key %s is revoked at %s, not after the statement's time %s", show(e.keyID), k.revokedAt.Format(time.RFC3339Nano), at)
	}
	return k.public, nil
}

// bootstrap authorises entry 0: the admin key from the verifier key registering itself.
func (r *registry) bootstrap(e *envelope, s *statement) (ed25519.PublicKey, error) {
	reg := s.registration
	switch {
	case reg == nil:
		return nil, fmt.Errorf("entry 0 is a %s statement, not a key registration", show(s.predicateType))
	case reg.keyID != e.keyID:
		return nil, fmt.Errorf("entry 0 registers key %s but is signed by %s", show(reg.keyID), show(e.keyID))
	case !reg.public.Equal(r.admin):
		return nil, fmt.Errorf("entry 0 registers key %s, not the admin key of log.verifierKey (%s)", show(reg.keyID), keyID(r.admin))
	case !slices.Contains(reg.steps, AdminStep):
		return nil, fmt.Errorf("entry 0 does not register its key for step %q", AdminStep)
	}
	return r.admin, nil
}

// apply replays a key statement of an entry that passed its checks.
func (r *registry) apply(s *statement) {
	switch {
	case s.registration != nil:
		reg := s.registration
		k := r.entry(reg.keyID)
		k.registered = true
		k.public, k.steps, k.validFrom, k.validUntil = reg.public, reg.steps, reg.validFrom, reg.validUntil
	case s.revocation != nil:
		at := s.revocation.revokedAt
		r.entry(s.revocation.keyID).revokedAt = &at
	}
}

func (r *registry) entry(id string) *signer {
	k, ok := r.signers[id]
	if !ok {
		k = &signer{}
		r.signers[id] = k
	}
	return k
}
