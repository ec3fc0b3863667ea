package testbundle

import (
	"encoding/base64"
	"strings"
)

// ItemTag and RequestItemTag are the domain tags of the leaves of Lineage/v2 and
// Request/v2 items: the predicate type without "https://", " item" and a newline.
const (
	ItemTag        = "lineage.dev/Lineage/v2 item\n"
	RequestItemTag = "lineage.dev/Request/v2 item\n"
)

// Batch is a Lineage/v2 batch (its nodes, then edges) or a Request/v2 batch (its
// requests), its items in RFC 8785 form.
type Batch struct {
	Items    [][]byte
	Nodes    int
	Edges    int
	Requests int
	Tag      string // the leaf tag the root was computed with
	leaves   [][]byte
}

// NewBatch encodes nodes ([kind, id, attributes]) and edges ([kind, src, dst]).
func NewBatch(nodes [][]any, edges [][]string) *Batch {
	b := &Batch{Nodes: len(nodes), Edges: len(edges), Tag: ItemTag}
	for _, n := range nodes {
		b.Items = append(b.Items, Canonical(n))
	}
	for _, e := range edges {
		b.Items = append(b.Items, Canonical(e))
	}
	return b.seal()
}

// NewRequestBatch encodes requests ([kind, target, at]) with the Request/v2 tag.
func NewRequestBatch(requests [][]string) *Batch {
	return NewRequestBatchTagged(requests, RequestItemTag)
}

// NewRequestBatchTagged encodes requests with any leaf tag (a test's wrong one).
func NewRequestBatchTagged(requests [][]string, tag string) *Batch {
	b := &Batch{Requests: len(requests), Tag: tag}
	for _, r := range requests {
		b.Items = append(b.Items, Canonical(r))
	}
	return b.seal()
}

func (b *Batch) seal() *Batch {
	for _, item := range b.Items {
		b.leaves = append(b.leaves, TaggedLeaf(b.Tag, item))
	}
	return b
}

// ItemLeaf is H(0x00 || "lineage.dev/Lineage/v2 item\n" || item).
func ItemLeaf(item []byte) []byte { return TaggedLeaf(ItemTag, item) }

// TaggedLeaf is H(0x00 || tag || item).
func TaggedLeaf(tag string, item []byte) []byte {
	return LeafHash(append([]byte(tag), item...))
}

// TagOf is the leaf tag of a batch statement's predicate type.
func TagOf(predicateType string) string {
	return strings.TrimPrefix(predicateType, "https://") + " item\n"
}

// Root is the batch root.
func (b *Batch) Root() []byte { return Root(b.leaves) }

// Path is item pos's path to the root, in base64.
func (b *Batch) Path(pos int) []string { return b64s(Path(pos, b.leaves)) }

// Predicate is the predicate member committing to the batch.
func (b *Batch) Predicate() map[string]any {
	root := base64.StdEncoding.EncodeToString(b.Root())
	if b.Nodes+b.Edges == 0 {
		return map[string]any{"batch": map[string]any{"root": root, "requests": b.Requests}}
	}
	return map[string]any{"batch": map[string]any{"root": root, "nodes": b.Nodes, "edges": b.Edges}}
}

func b64s(hashes [][]byte) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}
