package bundle

import (
	"github.com/transparency-dev/formats/log"
)

// checkedEntry is an entry that passed checks 4 to 7.
type checkedEntry struct {
	index     uint64
	statement *statement
}

// checkEntries runs checks 4 to 7 for each entry in index order, replaying the
// signer registry, and returns the entries by index.
func checkEntries(b *Bundle, key *logKey, cp *log.Checkpoint) (map[uint64]*checkedEntry, *Failure) {
	if len(b.Entries) == 0 || b.Entries[0].Index != 0 {
		return nil, atEntry(ClassEntry, 0, "entry 0 is not the bundle's first entry")
	}
	reg := newRegistry(key.admin)
	checked := make(map[uint64]*checkedEntry, len(b.Entries))
	for i, e := range b.Entries {
		if i > 0 && e.Index <= b.Entries[i-1].Index {
			return nil, atEntry(ClassEntry, e.Index, "the entries are not sorted by index without repeats (it follows entry %d)", b.Entries[i-1].Index)
		}
		c, f := checkEntry(e, reg, cp)
		if f != nil {
			return nil, f
		}
		checked[e.Index] = c
	}
	return checked, nil
}

// checkEntry runs checks 4 (form), 5 (authorisation), 6 (signature) and 7
// (inclusion) for one entry, then replays it if it is a key statement.
func checkEntry(e Entry, reg *registry, cp *log.Checkpoint) (*checkedEntry, *Failure) {
	data, err := decodeBase64(e.Entry)
	if err != nil {
		return nil, atEntry(ClassEntry, e.Index, "entry: %v", err)
	}
	env, err := parseEnvelope(data)
	if err != nil {
		return nil, atEntry(ClassEntry, e.Index, "%v", err)
	}
	st, err := parseStatement(env.payload)
	if err != nil {
		return nil, atEntry(ClassEntry, e.Index, "%v", err)
	}
	public, err := reg.authorise(e.Index, env, st)
	if err != nil {
		return nil, atEntry(ClassAuthorisation, e.Index, "%v", err)
	}
	if !env.verify(public) {
		return nil, atEntry(ClassSignature, e.Index, "the signature does not verify under key %s", keyID(public))
	}
	if f := checkInclusion(e, data, cp); f != nil {
		return nil, f
	}
	reg.apply(st)
	return &checkedEntry{index: e.Index, statement: st}, nil
}
