package testbundle

import (
	"encoding/base64"
)

// ItemTag is the domain tag of a batch item's leaf.
const ItemTag = "lineage.dev/Lineage/v2 item\n"

// Batch is a Lineage/v2 batch: its items (nodes, then edges) in RFC 8785 form.
type Batch struct {
	Items  [][]byte
	Nodes  int
	Edges  int
	leaves [][]byte
}

// NewBatch encodes nodes ([kind, id, attributes]) and edges ([kind, src, dst]).
func NewBatch(nodes [][]any, edges [][]string) *Batch {
	b := &Batch{Nodes: len(nodes), Edges: len(edges)}
	for _, n := range nodes {
		b.Items = append(b.Items, Canonical(n))
	}
	for _, e := range edges {
		b.Items = append(b.Items, Canonical(e))
	}
	for _, item := range b.Items {
		b.leaves = append(b.leaves, ItemLeaf(item))
	}
	return b
}

// ItemLeaf is H(0x00 || tag || item).
func ItemLeaf(item []byte) []byte {
	return LeafHash(append([]byte(ItemTag), item...))
}

// Root is the batch root.
func (b *Batch) Root() []byte { return Root(b.leaves) }

// Path is item pos's path to the root, in base64.
func (b *Batch) Path(pos int) []string { return b64s(Path(pos, b.leaves)) }

// Predicate is the predicate member committing to the batch.
func (b *Batch) Predicate() map[string]any {
	return map[string]any{"batch": map[string]any{
		"root": base64.StdEncoding.EncodeToString(b.Root()), "nodes": b.Nodes, "edges": b.Edges,
	}}
}

func b64s(hashes [][]byte) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}
