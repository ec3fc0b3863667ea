package bundle

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// ItemTag is the domain tag of a batch item's leaf (28 ASCII bytes).
const ItemTag = "lineage.dev/Lineage/v2 item\n"

// batch is what a Lineage/v2 predicate commits to.
type batch struct {
	root         []byte
	nodes, edges uint64
}

var integerText = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// itemLeaf is H(0x00 || ItemTag || item).
func itemLeaf(item []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write([]byte(ItemTag))
	h.Write(item)
	return h.Sum(nil)
}

// checkItems runs checks 8 (item) and 9 (batch path) for each item in bundle order
// and returns what they disclose.
func checkItems(b *Bundle, entries map[uint64]*checkedEntry) (*disclosed, *Failure) {
	d := &disclosed{nodes: map[string][]node{}}
	for k, it := range b.Items {
		if f := checkItem(k, it, entries, d); f != nil {
			return nil, f
		}
	}
	return d, nil
}

func checkItem(k int, it Item, entries map[uint64]*checkedEntry, d *disclosed) *Failure {
	e, ok := entries[it.Entry]
	if !ok {
		return atItem(ClassItem, k, "its entry %d is not in the bundle", it.Entry)
	}
	if e.statement.predicateType != LineageV2 {
		return atItem(ClassItem, k, "its entry %d is a %s statement, not %q", it.Entry, show(e.statement.predicateType), LineageV2)
	}
	bt, err := parseBatch(e.statement.predicate)
	if err != nil {
		return atItem(ClassItem, k, "entry %d: %v", it.Entry, err)
	}
	count := bt.nodes + bt.edges
	if it.Position >= count {
		return atItem(ClassItem, k, "position %d is not below the batch's %d items", it.Position, count)
	}
	text := []byte(it.Item)
	value, err := parseCanonical(text)
	if err != nil {
		return atItem(ClassItem, k, "the item is %v", err)
	}
	if it.Position < bt.nodes {
		n, err := nodeItem(value)
		if err != nil {
			return atItem(ClassItem, k, "position %d is below the batch's %d nodes, and the item is not a node: %v", it.Position, bt.nodes, err)
		}
		d.nodes[n.id] = append(d.nodes[n.id], n)
	} else {
		ed, err := edgeItem(value)
		if err != nil {
			return atItem(ClassItem, k, "position %d is not below the batch's %d nodes, and the item is not an edge: %v", it.Position, bt.nodes, err)
		}
		ed.item = k
		d.edges = append(d.edges, ed)
	}
	path, err := decodeHashes(it.Path)
	if err != nil {
		return atItem(ClassBatchPath, k, "path: %v", err)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, it.Position, count, itemLeaf(text), path, bt.root); err != nil {
		return atItem(ClassBatchPath, k, "the path does not lead to the batch root of entry %d: %s", it.Entry, proofError(err))
	}
	return nil
}

// parseBatch reads predicate.batch of a Lineage/v2 statement.
func parseBatch(p map[string]any) (*batch, error) {
	m, ok := p["batch"].(map[string]any)
	if !ok {
		return nil, errors.New("predicate.batch is not an object")
	}
	text, ok := m["root"].(string)
	if !ok {
		return nil, errors.New("predicate.batch.root is not a string")
	}
	root, err := decodeHash(text)
	if err != nil {
		return nil, fmt.Errorf("predicate.batch.root: %v", err)
	}
	var bt batch
	bt.root = root
	if bt.nodes, err = count(m, "nodes"); err != nil {
		return nil, err
	}
	if bt.edges, err = count(m, "edges"); err != nil {
		return nil, err
	}
	if bt.nodes+bt.edges == 0 || bt.nodes+bt.edges < bt.nodes {
		return nil, errors.New("predicate.batch holds no items")
	}
	return &bt, nil
}

func count(m map[string]any, name string) (uint64, error) {
	n, ok := m[name].(json.Number)
	if !ok || !integerText.MatchString(string(n)) {
		return 0, fmt.Errorf("predicate.batch.%s is not a non-negative integer", name)
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("predicate.batch.%s is not a non-negative integer", name)
	}
	return v, nil
}

// nodeItem reads [kind, id, attributes]: attributes map names to strings or integers.
func nodeItem(v any) (node, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 3 {
		return node{}, errors.New("not an array of 3 elements")
	}
	kind, okKind := a[0].(string)
	id, okID := a[1].(string)
	attrs, okAttrs := a[2].(map[string]any)
	if !okKind || !okID || !okAttrs {
		return node{}, errors.New("not [kind, id, attributes] (string, string, object)")
	}
	if !nodeKinds[kind] {
		return node{}, fmt.Errorf("unknown node kind %s", show(kind))
	}
	for name, value := range attrs {
		switch x := value.(type) {
		case string:
		case json.Number:
			if !integerText.MatchString(string(x)) {
				return node{}, fmt.Errorf("attribute %s is not an integer", show(name))
			}
		default:
			return node{}, fmt.Errorf("attribute %s is not a string or an integer", show(name))
		}
	}
	return node{kind: kind, id: id, attributes: attrs}, nil
}

// edgeItem reads [kind, src, dst], three strings of a known edge kind.
func edgeItem(v any) (edge, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 3 {
		return edge{}, errors.New("not an array of 3 elements")
	}
	var s [3]string
	for i := range s {
		if s[i], ok = a[i].(string); !ok {
			return edge{}, errors.New("not [kind, src, dst] (three strings)")
		}
	}
	if _, known := edgeFlows[s[0]]; !known {
		return edge{}, fmt.Errorf("unknown edge kind %s", show(s[0]))
	}
	return edge{kind: s[0], a: s[1], b: s[2]}, nil
}
