package bundle

import (
	"crypto/sha256"
	"encoding/hex"
)

// registeredPolicy is what check 10 proves: the claim's policy is the document the
// bundle carries, registered in the log.
type registeredPolicy struct {
	id, version, sha256 string
	entry               uint64 // the PolicyRegistration statement's log index
	size                int    // the document's bytes
}

// checkPolicy is check 10, for a claim that names a registered policy ("check"):
// the bundle's policy member is present; its registration entry is in the bundle and
// is a PolicyRegistration statement whose predicate.policy has the claim's id,
// version and sha256; the document's SHA-256 (lower-case hex) is that sha256. A
// claim.policy missing or of another shape fails the claim (class claim).
func checkPolicy(b *Bundle, c Claim, entries map[uint64]*checkedEntry) (*registeredPolicy, *Failure) {
	if b.Policy == nil {
		return nil, atPolicy("the bundle has no policy member, which a %s claim needs", show(c.Kind))
	}
	document, err := decodeBase64(b.Policy.Document)
	if err != nil {
		return nil, atPolicy("policy.document: %v", err)
	}
	n := b.Policy.Registration
	e, ok := entries[n]
	if !ok {
		return nil, atPolicy("the registration entry %d is not in the bundle", n)
	}
	if pt := e.statement.predicateType; pt != PolicyRegistration {
		return nil, atPolicy("the registration entry %d is a %s statement, not %q", n, show(pt), PolicyRegistration)
	}
	registered, ok := e.statement.predicate["policy"].(map[string]any)
	if !ok {
		return nil, atPolicy("entry %d: predicate.policy is not an object", n)
	}
	var reg [3]string // id, version, sha256 as registered
	for i, name := range []string{"id", "version", "sha256"} {
		if reg[i], ok = registered[name].(string); !ok {
			return nil, atPolicy("entry %d: predicate.policy.%s is not a string", n, name)
		}
	}
	named, f := claimObject{what: "claim", m: c.Members}.obj("policy")
	if f != nil {
		return nil, f
	}
	for i, name := range []string{"id", "version", "sha256"} {
		v, f := named.str(name)
		if f != nil {
			return nil, f
		}
		if v != reg[i] {
			return nil, atPolicy("claim.policy.%s is %s, but entry %d registers %s", name, show(v), n, show(reg[i]))
		}
	}
	sum := sha256.Sum256(document)
	if digest := hex.EncodeToString(sum[:]); digest != reg[2] {
		return nil, atPolicy("the SHA-256 of policy.document is %s, not the registered %s", digest, show(reg[2]))
	}
	return &registeredPolicy{id: reg[0], version: reg[1], sha256: reg[2], entry: n, size: len(document)}, nil
}
