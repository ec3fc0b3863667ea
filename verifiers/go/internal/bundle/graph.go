package bundle

// Node kinds of a Lineage/v2 node item [kind, id, attributes].
var nodeKinds = map[string]bool{
	"Post": true, "Subject": true, "Record": true, "Shard": true, "Dataset": true, "Model": true,
}

// flow says, for each edge kind of [kind, a, b], whether data flows a → b
// (forward), b → a (backward) or not at all (docs/bundle.md, "Edges and the
// direction data flows").
type flow int

const (
	flowNone flow = iota
	flowForward
	flowBackward
)

var edgeFlows = map[string]flow{
	"AUTHORED":       flowForward,  // [subject, post]: subject → post
	"DERIVED_FROM":   flowBackward, // [record, parent]: parent → record
	"PACKED_INTO":    flowForward,  // [record, shard]: record → shard
	"PART_OF":        flowForward,  // [shard, dataset]: shard → dataset
	"TRAINED_ON":     flowBackward, // [model, dataset or shard]: dataset or shard → model
	"FINETUNED_FROM": flowBackward, // [model, base]: base → model
	"DROPPED":        flowNone,     // [item, reason]: a filter's decision
}

// node is a disclosed node item.
type node struct {
	kind       string
	id         string
	attributes map[string]any
}

// edge is a disclosed edge item, with where it was disclosed.
type edge struct {
	kind string
	a, b string
	item int // K, its position in the bundle's items
}

// source and target are the ends of the edge in the direction data flows; ok is
// false for an edge along which no data flows.
func (e edge) source() (from, to string, ok bool) {
	switch edgeFlows[e.kind] {
	case flowForward:
		return e.a, e.b, true
	case flowBackward:
		return e.b, e.a, true
	}
	return "", "", false
}

// disclosed is what the bundle's items disclose, once checked.
type disclosed struct {
	nodes map[string][]node
	edges []edge
}
