package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// ItemTag and RequestItemTag are the domain tags of the leaves of Lineage/v2 and
// Request/v2 items (28 ASCII bytes each).
var (
	ItemTag        = itemTag(LineageV2)
	RequestItemTag = itemTag(RequestV2)
)

// itemTag is a batch statement's leaf tag: its predicate type without "https://", a
// space, "item" and a newline.
func itemTag(predicateType string) string {
	return strings.TrimPrefix(predicateType, "https://") + " item\n"
}

// batch is what a batch statement's predicate.batch commits to: a Lineage/v2
// batch's nodes then edges, or a Request/v2 batch's requests.
type batch struct {
	predicateType string
	root          []byte
	nodes, edges  uint64 // Lineage/v2
	requests      uint64 // Request/v2
}

// count is the number of the batch's items: the leaves of its tree.
func (bt *batch) count() uint64 {
	if bt.predicateType == RequestV2 {
		return bt.requests
	}
	return bt.nodes + bt.edges
}

var integerText = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// itemLeaf is H(0x00 || tag || item).
func itemLeaf(tag string, item []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write([]byte(tag))
	h.Write(item)
	return h.Sum(nil)
}

// The sections of a batch's items.
const (
	sectionNodes    = "nodes"
	sectionEdges    = "edges"
	sectionRequests = "requests"
)

// batchItem is an item read from its RFC 8785 text: a node, an edge or a request.
type batchItem struct {
	section string
	node    node
	edge    edge
	request request
}

// readItem reads the item at position pos of a batch: its text must be RFC 8785 and,
// in a Lineage/v2 batch, a node below bt.nodes and an edge from there, in a
// Request/v2 batch a request.
func readItem(bt *batch, pos uint64, text []byte) (batchItem, error) {
	value, err := parseCanonical(text)
	if err != nil {
		return batchItem{}, fmt.Errorf("the item is %v", err)
	}
	switch {
	case bt.predicateType == RequestV2:
		r, err := requestItem(value)
		if err != nil {
			return batchItem{}, fmt.Errorf("the item of a Request/v2 batch is not a request: %v", err)
		}
		return batchItem{section: sectionRequests, request: r}, nil
	case pos < bt.nodes:
		n, err := nodeItem(value)
		if err != nil {
			return batchItem{}, fmt.Errorf("position %d is below the batch's %d nodes, and the item is not a node: %v", pos, bt.nodes, err)
		}
		return batchItem{section: sectionNodes, node: n}, nil
	default:
		e, err := edgeItem(value)
		if err != nil {
			return batchItem{}, fmt.Errorf("position %d is not below the batch's %d nodes, and the item is not an edge: %v", pos, bt.nodes, err)
		}
		return batchItem{section: sectionEdges, edge: e}, nil
	}
}

// batchOf is the batch an entry of the bundle commits to, or why it has none.
func batchOf(entries map[uint64]*checkedEntry, n uint64) (*batch, error) {
	e, ok := entries[n]
	if !ok {
		return nil, fmt.Errorf("its entry %d is not in the bundle", n)
	}
	pt := e.statement.predicateType
	if pt != LineageV2 && pt != RequestV2 {
		return nil, fmt.Errorf("its entry %d is a %s statement, not a batch statement (%q or %q)", n, show(pt), LineageV2, RequestV2)
	}
	bt, err := parseBatch(pt, e.statement.predicate)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %v", n, err)
	}
	return bt, nil
}

// checkItems runs checks 8 (item) and 9 (batch path) for each item in bundle order
// and returns what they disclose.
func checkItems(b *Bundle, entries map[uint64]*checkedEntry, size uint64) (*disclosed, *Failure) {
	d := newDisclosed(entries, size)
	for k, it := range b.Items {
		if f := checkItem(k, it, d); f != nil {
			return nil, f
		}
	}
	return d, nil
}

func checkItem(k int, it Item, d *disclosed) *Failure {
	bt, err := batchOf(d.entries, it.Entry)
	if err != nil {
		return atItem(ClassItem, k, "%v", err)
	}
	count := bt.count()
	if it.Position >= count {
		return atItem(ClassItem, k, "position %d is not below the batch's %d items", it.Position, count)
	}
	text := []byte(it.Item)
	read, err := readItem(bt, it.Position, text)
	if err != nil {
		return atItem(ClassItem, k, "%v", err)
	}
	path, err := decodeHashes(it.Path)
	if err != nil {
		return atItem(ClassBatchPath, k, "path: %v", err)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, it.Position, count, itemLeaf(itemTag(bt.predicateType), text), path, bt.root); err != nil {
		return atItem(ClassBatchPath, k, "the path does not lead to the batch root of entry %d: %s", it.Entry, proofError(err))
	}
	d.add(read, itemKey{entry: it.Entry, position: it.Position}, fmt.Sprintf("item %d", k), &d.fromItems)
	return nil
}

// checkBatches runs check 9b for each full batch in bundle order: its entry is a
// batch statement of the bundle; every item is RFC 8785 and of its section's shape
// (class item); the items are as many as the batch's count and their tree's root is
// the batch root (class batch-path). It then discloses the items.
func checkBatches(b *Bundle, d *disclosed) *Failure {
	for k, fb := range b.Batches {
		bt, err := batchOf(d.entries, fb.Entry)
		if err != nil {
			return atBatch(ClassItem, k, "%v", err)
		}
		tag := itemTag(bt.predicateType)
		read := make([]batchItem, len(fb.Items))
		rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
		tree := rf.NewEmptyRange(0)
		for i, text := range fb.Items {
			if read[i], err = readItem(bt, uint64(i), []byte(text)); err != nil {
				return atBatch(ClassItem, k, "item %d: %v", i, err)
			}
			if err := tree.Append(itemLeaf(tag, []byte(text)), nil); err != nil {
				return atBatch(ClassBatchPath, k, "item %d: %s", i, oneLine(err.Error()))
			}
		}
		if count := bt.count(); uint64(len(fb.Items)) != count {
			return atBatch(ClassBatchPath, k, "%d items, but the batch of entry %d has %d", len(fb.Items), fb.Entry, count)
		}
		root, err := tree.GetRootHash(nil)
		if err != nil {
			return atBatch(ClassBatchPath, k, "%s", oneLine(err.Error()))
		}
		if !bytes.Equal(root, bt.root) {
			return atBatch(ClassBatchPath, k, "the items lead to the root %s, not the batch root %s of entry %d",
				base64.StdEncoding.EncodeToString(root), base64.StdEncoding.EncodeToString(bt.root), fb.Entry)
		}
		for i, it := range read {
			where := fmt.Sprintf("batch %d, position %d", k, i)
			if it.section == sectionRequests {
				where = fmt.Sprintf("batch %d", k) // a receipt's line names the position
			}
			d.add(it, itemKey{entry: fb.Entry, position: uint64(i)}, where, &d.fromBatches)
		}
		d.fullBatches[fb.Entry] = true
	}
	return nil
}

// addPayloads discloses the nodes and edges of the Lineage/v1 entries and the
// requests of the Request/v1 entries, checked with their statements (check 4), in
// index order. A request's position is its index in predicate.requests.
func addPayloads(d *disclosed) {
	indexes := make([]uint64, 0, len(d.entries))
	for n, e := range d.entries {
		if e.statement.payload != nil {
			indexes = append(indexes, n)
		}
	}
	sort.Slice(indexes, func(i, j int) bool { return indexes[i] < indexes[j] })
	for _, n := range indexes {
		p := d.entries[n].statement.payload
		name := "Lineage/v1"
		if d.entries[n].statement.predicateType == RequestV1 {
			name = "Request/v1"
		}
		for _, nd := range p.nodes {
			d.add(batchItem{section: sectionNodes, node: nd}, itemKey{}, "", &d.fromPayload)
		}
		for i, e := range p.edges {
			d.add(batchItem{section: sectionEdges, edge: e}, itemKey{}, fmt.Sprintf("entry %d, %s predicate.edges[%d]", n, name, i), &d.fromPayload)
		}
		for i, r := range p.requests {
			d.add(batchItem{section: sectionRequests, request: r}, itemKey{entry: n, position: uint64(i)}, name+" payload", &d.fromPayload)
		}
		d.payloads++
	}
}

// parseBatch reads predicate.batch of a Lineage/v2 statement ({root, nodes, edges})
// or of a Request/v2 statement ({root, requests}).
func parseBatch(predicateType string, p map[string]any) (*batch, error) {
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
	bt := batch{predicateType: predicateType, root: root}
	if predicateType == RequestV2 {
		if bt.requests, err = count(m, "requests"); err != nil {
			return nil, err
		}
	} else {
		if bt.nodes, err = count(m, "nodes"); err != nil {
			return nil, err
		}
		if bt.edges, err = count(m, "edges"); err != nil {
			return nil, err
		}
		if bt.nodes+bt.edges < bt.nodes {
			return nil, errors.New("predicate.batch holds more items than a tree can")
		}
	}
	if bt.count() == 0 {
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
