package bundle

import "slices"

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

// maxVisits bounds the work of a claim's reachability checks: every edge a walk
// follows counts one node visited (also a node reached again), and a claim whose
// walks visit more in all fails (class claim). A variable so that tests can lower it.
var maxVisits = 20_000_000

// flowGraph is the disclosed edges along which data flows, each once (an edge
// disclosed twice, in items and in a full batch, is followed once), over nodes
// numbered in the order they appear, with the walks a claim makes over them: every
// walk counts against maxVisits, and the nodes downstream of each node walked from
// are kept, so that the findings of one origin make one walk.
type flowGraph struct {
	ids    map[string]int32 // the number of each node
	names  []string         // the node of each number
	edges  []edge           // the disclosed edges along which data flows, each once
	out    [][]int32        // the edges out of each node, in the direction data flows
	down   [][]int32        // the nodes one edge downstream of each node
	up     [][]int32        // the nodes one edge upstream of each node
	visits int
	mark   []uint32          // the walk that last reached each node
	walks  uint32            // the walks made
	memo   map[int32][]int32 // the nodes downstream of a node (sorted), by node
}

func newFlowGraph(edges []edge) *flowGraph {
	g := &flowGraph{ids: map[string]int32{}, memo: map[int32][]int32{}}
	seen := map[[2]int32]bool{}
	for _, e := range edges {
		src, dst, ok := e.source()
		if !ok {
			continue
		}
		from, to := g.id(src), g.id(dst)
		if seen[[2]int32{from, to}] {
			continue
		}
		seen[[2]int32{from, to}] = true
		g.out[from] = append(g.out[from], int32(len(g.edges)))
		g.down[from] = append(g.down[from], to)
		g.up[to] = append(g.up[to], from)
		g.edges = append(g.edges, e)
	}
	g.mark = make([]uint32, len(g.names))
	return g
}

// id numbers a node, the next number if it is new.
func (g *flowGraph) id(name string) int32 {
	n, ok := g.ids[name]
	if !ok {
		n = int32(len(g.names))
		g.ids[name] = n
		g.names = append(g.names, name)
		g.out = append(g.out, nil)
		g.down = append(g.down, nil)
		g.up = append(g.up, nil)
	}
	return n
}

// visit counts one node visited; past maxVisits the claim fails.
func (g *flowGraph) visit() *Failure {
	g.visits++
	if g.visits > maxVisits {
		return atClaim("the claim's reachability checks visit more than %d nodes along the disclosed edges", maxVisits)
	}
	return nil
}

// walk is the list of nodes reached from n along one step or more of next (n itself
// only through a cycle), each once.
func (g *flowGraph) walk(n int32, next [][]int32) ([]int32, *Failure) {
	g.walks++
	if g.walks == 0 { // wrapped: no mark is of a walk still to come
		clear(g.mark)
		g.walks = 1
	}
	var reached []int32
	for queue := []int32{n}; len(queue) > 0; queue = queue[1:] {
		for _, m := range next[queue[0]] {
			if f := g.visit(); f != nil {
				return nil, f
			}
			if g.mark[m] != g.walks {
				g.mark[m] = g.walks
				reached = append(reached, m)
				queue = append(queue, m)
			}
		}
	}
	return reached, nil
}

// upstreamOf is the set of nodes from which data flows to n along one disclosed
// edge or more.
func (g *flowGraph) upstreamOf(name string) (map[string]bool, *Failure) {
	set := map[string]bool{}
	n, ok := g.ids[name]
	if !ok {
		return set, nil
	}
	reached, f := g.walk(n, g.up)
	if f != nil {
		return nil, f
	}
	for _, m := range reached {
		set[g.names[m]] = true
	}
	return set, nil
}

// reaches says whether data flows from one node to another along one disclosed edge
// or more; the nodes downstream of from are walked once and kept.
func (g *flowGraph) reaches(from, to string) (bool, *Failure) {
	src, ok := g.ids[from]
	dst, ok2 := g.ids[to]
	if !ok || !ok2 {
		return false, nil
	}
	down, ok := g.memo[src]
	if !ok {
		var f *Failure
		if down, f = g.walk(src, g.down); f != nil {
			return false, f
		}
		slices.Sort(down)
		g.memo[src] = down
	}
	_, found := slices.BinarySearch(down, dst)
	return found, nil
}

// path is a shortest path of edges from one node to another in the direction data
// flows, or nil.
func (g *flowGraph) path(from, to string) ([]edge, *Failure) {
	src, ok := g.ids[from]
	dst, ok2 := g.ids[to]
	if !ok || !ok2 {
		return nil, nil
	}
	via := map[int32]int32{src: -1} // the edge each reached node was reached by
	for queue := []int32{src}; len(queue) > 0; queue = queue[1:] {
		for _, i := range g.out[queue[0]] {
			if f := g.visit(); f != nil {
				return nil, f
			}
			_, name, _ := g.edges[i].source()
			next := g.ids[name]
			if _, seen := via[next]; seen {
				continue
			}
			via[next] = i
			if next == dst {
				return g.pathTo(via, dst), nil
			}
			queue = append(queue, next)
		}
	}
	return nil, nil
}

func (g *flowGraph) pathTo(via map[int32]int32, to int32) []edge {
	var hops []edge
	for n := to; via[n] >= 0; {
		e := g.edges[via[n]]
		hops = append(hops, e)
		name, _, _ := e.source()
		n = g.ids[name]
	}
	slices.Reverse(hops)
	return hops
}
