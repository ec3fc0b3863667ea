// Package bundle checks lineage evidence bundles as docs/bundle.md specifies, with
// code that shares nothing with lineage.
package bundle

import (
	"encoding/base64"
)

// Options are what the recipient brings besides the bundle.
type Options struct {
	LogKey string // the log's verifier key the recipient holds ("" if none)
	Since  []byte // an older checkpoint the recipient holds (nil if none)
	// Witnesses are the cosigners the recipient trusts (distinct names); the
	// checkpoint needs valid cosignatures of Quorum of them (check 2b).
	Witnesses []*Witness
	Quorum    int
}

// Result is what a proven bundle proves.
type Result struct {
	Claim     *Proven
	Origin    string
	Size      uint64
	Root      string // base64
	LogKey    string
	KeyPinned bool     // the key was given with --log-key, not only taken from the bundle
	OlderSize *uint64  // the size of the older checkpoint proven consistent, if any
	Cosigned  []string // the witnesses whose cosignatures were counted (with Options.Witnesses)
	Witnesses int      // the witnesses given
	Quorum    int      // the cosignatures required
	Entries   int
	Items     int   // the elements of "items"
	ItemsOf   Tally // what they disclose
	Batches   int   // the elements of "batches"
	BatchOf   Tally // what they disclose
	Payloads  int   // the Lineage/v1 and Request/v1 entries
	PayloadOf Tally // what their payloads disclose
}

// Verify runs the checks of docs/bundle.md in order; the first failure decides.
func Verify(b *Bundle, opts Options) (*Result, *Failure) {
	key, f := checkLogKey(b, opts) // 1
	if f != nil {
		return nil, f
	}
	cp, f := checkCheckpoint(b, key) // 2
	if f != nil {
		return nil, f
	}
	cosigned, f := checkWitnesses(b, opts, key) // 2b
	if f != nil {
		return nil, f
	}
	older, f := checkConsistency(b, opts, key, cp) // 3
	if f != nil {
		return nil, f
	}
	entries, f := checkEntries(b, key, cp) // 4 to 7
	if f != nil {
		return nil, f
	}
	d, f := checkItems(b, entries, cp.Size) // 8 and 9
	if f != nil {
		return nil, f
	}
	if f := checkBatches(b, d); f != nil { // 9b
		return nil, f
	}
	addPayloads(d) // checked with their entries (4)
	if policyKinds[b.Claim.Kind] {
		if d.policy, f = checkPolicy(b, b.Claim, entries); f != nil { // 10
			return nil, f
		}
	}
	proven, f := checkClaim(b.Claim, d) // 11
	if f != nil {
		return nil, f
	}
	r := &Result{
		Claim:     proven,
		Origin:    cp.Origin,
		Size:      cp.Size,
		Root:      base64.StdEncoding.EncodeToString(cp.Hash),
		LogKey:    oneLine(key.text), // a note name may hold control characters
		KeyPinned: opts.LogKey != "",
		Cosigned:  cosigned,
		Witnesses: len(opts.Witnesses),
		Quorum:    opts.Quorum,
		Entries:   len(b.Entries),
		Items:     len(b.Items),
		ItemsOf:   d.fromItems,
		Batches:   len(b.Batches),
		BatchOf:   d.fromBatches,
		Payloads:  d.payloads,
		PayloadOf: d.fromPayload,
	}
	if older != nil {
		r.OlderSize = &older.Size
	}
	return r, nil
}
