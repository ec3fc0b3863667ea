package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// MediaType and Version identify the bundle format of docs/bundle.md.
const (
	MediaType = "application/vnd.lineage.bundle+json"
	Version   = 1
)

// Bundle is a parsed evidence bundle; its members hold the strings of the document,
// decoded (base64, JSON) only by the checks that use them.
type Bundle struct {
	Claim       Claim
	Log         Log
	Entries     []Entry
	Items       []Item
	Consistency *Consistency // nil unless the bundle was made with --since
	Policy      *Policy      // nil unless the bundle has a "policy" member (a check bundle)
	Batches     []FullBatch  // the "batches" member (a complete check bundle), if any
}

// Claim is the claim: its kind and all its members, read by the kind's check.
type Claim struct {
	Kind    string
	Members map[string]json.RawMessage
}

// Log is the bundle's "log" member.
type Log struct {
	Origin      string
	VerifierKey string
	Checkpoint  string
}

// Entry is one element of "entries".
type Entry struct {
	Index     uint64
	Entry     string   // base64 of the entry's bytes
	Inclusion []string // base64 hashes
}

// Item is one element of "items".
type Item struct {
	Entry    uint64
	Position uint64
	Item     string   // the item's RFC 8785 text
	Path     []string // base64 hashes
}

// FullBatch is one element of "batches": every item of the batch of a batch
// statement, in order.
type FullBatch struct {
	Entry uint64
	Items []string // the items' RFC 8785 texts
}

// Consistency is the bundle's "consistency" member.
type Consistency struct {
	Checkpoint string
	Hashes     []string
}

// Policy is the bundle's "policy" member: the policy file a check claim names and
// the log index of the entry that registered it.
type Policy struct {
	Document     string // base64 of the policy file's bytes
	Registration uint64
}

// UnreadableError says a document is not a bundle this verifier reads (exit status 2).
type UnreadableError struct{ Problem string }

func (e *UnreadableError) Error() string { return "unreadable bundle: " + oneLine(e.Problem) }

func unreadable(format string, args ...any) error {
	return &UnreadableError{Problem: fmt.Sprintf(format, args...)}
}

var topLevel = map[string]bool{
	"mediaType": true, "version": true, "claim": true, "log": true,
	"entries": true, "items": true, "consistency": true, "policy": true,
	"batches": true,
}

// Parse reads a bundle document; any error is an *UnreadableError. Only the
// structure is checked here (UTF-8 JSON without a byte-order mark, media type,
// version, members and their types).
func Parse(data []byte) (*Bundle, error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, unreadable("the document starts with a byte-order mark: not plain UTF-8 JSON")
	}
	if !utf8.Valid(data) {
		return nil, unreadable("not UTF-8")
	}
	if err := refuseDuplicateKeys(data); err != nil {
		return nil, unreadable("not JSON: %v", err)
	}
	top, err := object(data, "the document")
	if err != nil {
		return nil, err
	}
	var unknown []string
	for name := range top {
		if !topLevel[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, unreadable("unknown top-level member %s", show(unknown[0]))
	}
	mediaType, err := top.str("mediaType", "")
	if err != nil {
		return nil, err
	}
	if mediaType != MediaType {
		return nil, unreadable("mediaType is %s, not %q", show(mediaType), MediaType)
	}
	version, err := top.uint("version", "") // a JSON integer: not true, "1" or 1.0
	if err != nil {
		return nil, err
	}
	if version != Version {
		return nil, unreadable("version %d is not %d", version, Version)
	}
	b := &Bundle{}
	if b.Claim, err = parseClaim(top); err != nil {
		return nil, err
	}
	if b.Log, err = parseLog(top); err != nil {
		return nil, err
	}
	if b.Entries, err = parseEntries(top); err != nil {
		return nil, err
	}
	if b.Items, err = parseItems(top); err != nil {
		return nil, err
	}
	if _, present := top["consistency"]; present {
		if b.Consistency, err = parseConsistency(top); err != nil {
			return nil, err
		}
	}
	if _, present := top["policy"]; present {
		if b.Policy, err = parsePolicy(top); err != nil {
			return nil, err
		}
	}
	if _, present := top["batches"]; present {
		if b.Batches, err = parseBatches(top); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func parseClaim(top members) (Claim, error) {
	claim, err := top.obj("claim", "")
	if err != nil {
		return Claim{}, err
	}
	kind, err := claim.str("kind", "claim.")
	if err != nil {
		return Claim{}, err
	}
	return Claim{Kind: kind, Members: claim}, nil
}

func parseLog(top members) (Log, error) {
	log, err := top.obj("log", "")
	if err != nil {
		return Log{}, err
	}
	var l Log
	if l.Origin, err = log.str("origin", "log."); err != nil {
		return Log{}, err
	}
	if l.VerifierKey, err = log.str("verifierKey", "log."); err != nil {
		return Log{}, err
	}
	if l.Checkpoint, err = log.str("checkpoint", "log."); err != nil {
		return Log{}, err
	}
	return l, nil
}

func parseEntries(top members) ([]Entry, error) {
	raw, err := top.arr("entries", "")
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(raw))
	for i, r := range raw {
		where := fmt.Sprintf("entries[%d].", i)
		e, err := object(r, where[:len(where)-1])
		if err != nil {
			return nil, err
		}
		if entries[i].Index, err = e.uint("index", where); err != nil {
			return nil, err
		}
		if entries[i].Entry, err = e.str("entry", where); err != nil {
			return nil, err
		}
		if entries[i].Inclusion, err = e.strs("inclusion", where); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

func parseItems(top members) ([]Item, error) {
	raw, err := top.arr("items", "")
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(raw))
	for i, r := range raw {
		where := fmt.Sprintf("items[%d].", i)
		it, err := object(r, where[:len(where)-1])
		if err != nil {
			return nil, err
		}
		if items[i].Entry, err = it.uint("entry", where); err != nil {
			return nil, err
		}
		if items[i].Position, err = it.uint("position", where); err != nil {
			return nil, err
		}
		if items[i].Item, err = it.str("item", where); err != nil {
			return nil, err
		}
		if items[i].Path, err = it.strs("path", where); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// parseBatches reads [{"entry": non-negative integer, "items": [string, …]}, …];
// the items are checked by check 9b.
func parseBatches(top members) ([]FullBatch, error) {
	raw, err := top.arr("batches", "")
	if err != nil {
		return nil, err
	}
	batches := make([]FullBatch, len(raw))
	for i, r := range raw {
		where := fmt.Sprintf("batches[%d].", i)
		fb, err := object(r, where[:len(where)-1])
		if err != nil {
			return nil, err
		}
		if batches[i].Entry, err = fb.uint("entry", where); err != nil {
			return nil, err
		}
		if batches[i].Items, err = fb.strs("items", where); err != nil {
			return nil, err
		}
	}
	return batches, nil
}

func parseConsistency(top members) (*Consistency, error) {
	c, err := top.obj("consistency", "")
	if err != nil {
		return nil, err
	}
	var out Consistency
	if out.Checkpoint, err = c.str("checkpoint", "consistency."); err != nil {
		return nil, err
	}
	if out.Hashes, err = c.strs("hashes", "consistency."); err != nil {
		return nil, err
	}
	return &out, nil
}

// parsePolicy reads {"document": base64 string, "registration": integer}; the
// document is decoded by check 10, whose failure a bad one is.
func parsePolicy(top members) (*Policy, error) {
	p, err := top.obj("policy", "")
	if err != nil {
		return nil, err
	}
	var out Policy
	if out.Document, err = p.str("document", "policy."); err != nil {
		return nil, err
	}
	if out.Registration, err = p.uint("registration", "policy."); err != nil {
		return nil, err
	}
	return &out, nil
}

// members is a JSON object by exact member name (encoding/json would match struct
// fields case-insensitively, so objects are read as maps).
type members map[string]json.RawMessage

func object(raw []byte, what string) (members, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, unreadable("%s is not a JSON object", what)
	}
	var m members
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, unreadable("%s: %v", what, err)
	}
	return m, nil
}

func (m members) get(name, prefix string) (json.RawMessage, error) {
	raw, ok := m[name]
	if !ok {
		return nil, unreadable("%s%s is missing", prefix, name)
	}
	return bytes.TrimSpace(raw), nil
}

func (m members) str(name, prefix string) (string, error) {
	raw, err := m.get(name, prefix)
	if err != nil {
		return "", err
	}
	return asString(raw, prefix+name)
}

func asString(raw json.RawMessage, what string) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", unreadable("%s is not a string", what)
	}
	return s, nil
}

func (m members) uint(name, prefix string) (uint64, error) {
	raw, err := m.get(name, prefix)
	if err != nil {
		return 0, err
	}
	var n uint64
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' || json.Unmarshal(raw, &n) != nil {
		return 0, unreadable("%s%s is not a non-negative integer", prefix, name)
	}
	return n, nil
}

func (m members) obj(name, prefix string) (members, error) {
	raw, err := m.get(name, prefix)
	if err != nil {
		return nil, err
	}
	return object(raw, prefix+name)
}

func (m members) arr(name, prefix string) ([]json.RawMessage, error) {
	raw, err := m.get(name, prefix)
	if err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, unreadable("%s%s is not an array", prefix, name)
	}
	return list, nil
}

func (m members) strs(name, prefix string) ([]string, error) {
	raw, err := m.arr(name, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		if out[i], err = asString(bytes.TrimSpace(r), fmt.Sprintf("%s%s[%d]", prefix, name, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refuseDuplicateKeys walks a JSON text and refuses an object with a repeated
// member name (readers that keep the first or the last would see different
// documents), or anything that is not one JSON value.
func refuseDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the document")
	}
	return nil
}

func walkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch delim {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			name := key.(string)
			if seen[name] {
				return fmt.Errorf("duplicate member %s", show(name))
			}
			seen[name] = true
			if err := walkValue(dec); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkValue(dec); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}
