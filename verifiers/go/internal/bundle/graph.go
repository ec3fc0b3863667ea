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
	kind  string
	a, b  string
	where string // where the bundle discloses it: "item K", "batch K, position P", …
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

// itemKey names a batch item: its entry's log index and its position in the batch.
type itemKey struct {
	entry, position uint64
}

// Tally counts disclosed items by section.
type Tally struct {
	Nodes, Edges, Requests int
}

// disclosed is what the bundle's entries, items, full batches and Lineage/v1 and
// Request/v1 payloads disclose, once checked.
type disclosed struct {
	entries     map[uint64]*checkedEntry // by log index
	size        uint64                   // the checkpoint's tree size
	nodes       map[string][]node
	edges       []edge
	requests    map[itemKey]request // the disclosed requests, by entry and position
	fromItems   Tally               // what "items" disclose
	fromBatches Tally               // what "batches" disclose
	fullBatches map[uint64]bool     // the entries whose batch "batches" holds in full
	fromPayload Tally               // what Lineage/v1 and Request/v1 payloads disclose
	payloads    int                 // the Lineage/v1 and Request/v1 entries
	policy      *registeredPolicy   // for a claim check 10 applies to
}

func newDisclosed(entries map[uint64]*checkedEntry, size uint64) *disclosed {
	return &disclosed{
		entries:     entries,
		size:        size,
		nodes:       map[string][]node{},
		requests:    map[itemKey]request{},
		fullBatches: map[uint64]bool{},
	}
}

// add discloses one item and counts it in t. A request is kept under key, its entry
// and position, as receipts name it; where is the place in the bundle a report names.
func (d *disclosed) add(it batchItem, key itemKey, where string, t *Tally) {
	switch it.section {
	case sectionNodes:
		d.nodes[it.node.id] = append(d.nodes[it.node.id], it.node)
		t.Nodes++
	case sectionEdges:
		it.edge.where = where
		d.edges = append(d.edges, it.edge)
		t.Edges++
	case sectionRequests:
		it.request.where = where
		if _, seen := d.requests[key]; !seen { // the first place it is disclosed
			d.requests[key] = it.request
		}
		t.Requests++
	}
}

// upstream is, for each node, the nodes data flows to it from along one disclosed
// edge.
func upstream(edges []edge) map[string][]string {
	in := map[string][]string{}
	for _, e := range edges {
		if from, to, ok := e.source(); ok {
			in[to] = append(in[to], from)
		}
	}
	return in
}

// reachers is the set of nodes from which data flows to n along the edges whose
// upstream map is in (n itself only through a cycle).
func reachers(in map[string][]string, n string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{n}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, from := range in[cur] {
			if !seen[from] {
				seen[from] = true
				queue = append(queue, from)
			}
		}
	}
	return seen
}
