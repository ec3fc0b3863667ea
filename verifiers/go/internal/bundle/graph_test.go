package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func path(t *testing.T, edges []edge, from, to string) []edge {
	t.Helper()
	hops, f := newFlowGraph(edges).path(from, to)
	if f != nil {
		t.Fatal(f)
	}
	return hops
}

func TestReach(t *testing.T) {
	edges := []edge{
		{kind: "AUTHORED", a: "subject:1", b: "post:1"},
		{kind: "DROPPED", a: "post:1", b: "model:1"},
		{kind: "DERIVED_FROM", a: "record:1", b: "post:1"},
		{kind: "FINETUNED_FROM", a: "model:2", b: "model:1"},
		{kind: "TRAINED_ON", a: "model:1", b: "record:1"},
	}
	if hops := path(t, edges, "post:1", "model:2"); len(hops) != 3 {
		t.Errorf("post:1 to model:2: %v", hops)
	}
	if hops := path(t, edges, "model:2", "post:1"); hops != nil {
		t.Errorf("against the flow: %v", hops)
	}
	if hops := path(t, edges[:2], "post:1", "model:1"); hops != nil {
		t.Errorf("a DROPPED edge carried data: %v", hops)
	}
	if hops := path(t, edges, "post:9", "model:2"); hops != nil {
		t.Errorf("from a node of no edge: %v", hops)
	}
	g := newFlowGraph(edges)
	up, f := g.upstreamOf("model:2")
	if f != nil || len(up) != 4 || !up["subject:1"] || up["model:2"] {
		t.Errorf("upstream of model:2: %v %v", up, f)
	}
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"subject:1", "model:2", true}, {"post:1", "record:1", true}, {"record:1", "post:1", false},
		{"model:1", "model:1", false}, {"post:9", "model:1", false}, {"post:1", "post:9", false},
	} {
		if got, f := g.reaches(c.from, c.to); f != nil || got != c.want {
			t.Errorf("%s reaches %s: %v %v", c.from, c.to, got, f)
		}
	}
	// A node reaches itself only through a cycle.
	cycle := newFlowGraph([]edge{{kind: "FINETUNED_FROM", a: "model:1", b: "model:2"}, {kind: "FINETUNED_FROM", a: "model:2", b: "model:1"}})
	if got, _ := cycle.reaches("model:1", "model:1"); !got {
		t.Error("a cycle does not lead back")
	}
}

// chain is edges post:0 → rec:0 → … → rec:(n-1) → model:m, and posts post:1..post:k
// each into rec:0.
func chain(n, k int) []edge {
	edges := []edge{{kind: "DERIVED_FROM", a: "rec:0", b: "post:0"}}
	for i := 1; i < n; i++ {
		edges = append(edges, edge{kind: "DERIVED_FROM", a: fmt.Sprintf("rec:%d", i), b: fmt.Sprintf("rec:%d", i-1)})
	}
	edges = append(edges, edge{kind: "TRAINED_ON", a: "model:m", b: fmt.Sprintf("rec:%d", n-1)})
	for j := 1; j <= k; j++ {
		edges = append(edges, edge{kind: "DERIVED_FROM", a: "rec:0", b: fmt.Sprintf("post:%d", j)})
	}
	return edges
}

// checkDisclosed is a check claim's disclosed items: the edges and a checked policy.
func checkDisclosed(edges []edge) *disclosed {
	d := newDisclosed(map[uint64]*checkedEntry{}, 0)
	d.edges = edges
	d.policy = &registeredPolicy{id: "p", version: "1", sha256: strings.Repeat("0", 64)}
	return d
}

// checkMembers is a check claim, not complete, of findings.
func checkMembers(t *testing.T, findings []any) map[string]json.RawMessage {
	t.Helper()
	claim := map[string]any{
		"kind": "check", "artifact": "model:m", "asOf": nil,
		"policy": map[string]any{"id": "p", "version": "1", "sha256": strings.Repeat("0", 64)},
		"passed": false, "complete": false,
		"counts":   map[string]any{"origins": 1, "posts": 1, "violations": 1, "notices": 0},
		"findings": findings,
	}
	raw, err := json.Marshal(claim)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func finding(origin, record string) map[string]any {
	return map[string]any{"rule": "r", "level": "violation", "origin": origin, "record": record, "shard": nil}
}

// TestFindingsBoundedWork: many findings of one origin walk its downstream once, and
// the walks of many origins stop at maxVisits with class claim.
func TestFindingsBoundedWork(t *testing.T) {
	const n = 2000
	edges := chain(n, 0)
	var findings []any
	for i := 0; i < n; i++ {
		findings = append(findings, finding("post:0", fmt.Sprintf("rec:%d", i)))
	}
	// The work the reachability checks do, counted as they count it.
	visits := func(members map[string]json.RawMessage) int {
		g := newFlowGraph(edges)
		up, f := g.upstreamOf("model:m")
		if f != nil {
			t.Fatal(f)
		}
		var list []any
		_ = json.Unmarshal(members["findings"], &list)
		for i := range list {
			fd := list[i].(map[string]any)
			if ok, f := g.reaches(fd["origin"].(string), fd["record"].(string)); f != nil || !ok || !up[fd["record"].(string)] {
				t.Fatalf("finding %d: %v %v", i, ok, f)
			}
		}
		return g.visits
	}
	if got := visits(checkMembers(t, findings)); got > 2*(n+2) {
		t.Errorf("%d findings of one origin over a chain of %d: %d nodes visited, not one walk each way", n, n, got)
	}
	start := time.Now()
	p, f := checkCheckClaim(checkMembers(t, findings), checkDisclosed(edges))
	if f != nil || !strings.Contains(p.Statement, fmt.Sprintf("the %d findings listed", n)) {
		t.Fatalf("%v %v", p, f)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	// Findings of many origins, each upstream of the whole chain: every origin's walk
	// is the chain's length, so the cap decides.
	const k = 3000
	edges = chain(n, k)
	findings = nil
	for j := 1; j <= k; j++ {
		findings = append(findings, finding(fmt.Sprintf("post:%d", j), fmt.Sprintf("rec:%d", n-1)))
	}
	if _, f := checkCheckClaim(checkMembers(t, findings), checkDisclosed(edges)); f != nil {
		t.Fatalf("under the default cap: %v", f)
	}
	defer func(old int) { maxVisits = old }(maxVisits)
	maxVisits = k * n / 2
	_, f = checkCheckClaim(checkMembers(t, findings), checkDisclosed(edges))
	if f == nil || f.Class != ClassClaim || f.Where != "claim" || !strings.Contains(f.Detail, fmt.Sprintf("visit more than %d nodes", maxVisits)) {
		t.Fatalf("over the cap: %v", f)
	}
	// The path claim's walk counts too.
	maxVisits = n / 2
	if _, f := newFlowGraph(chain(n, 0)).path("post:0", "model:m"); f == nil || f.Class != ClassClaim {
		t.Errorf("a path over the cap: %v", f)
	}
}

// TestDuplicateEdgesFollowedOnce: an edge disclosed many times is followed once.
func TestDuplicateEdgesFollowedOnce(t *testing.T) {
	var edges []edge
	for i := 0; i < 1000; i++ {
		edges = append(edges, edge{kind: "TRAINED_ON", a: "model:m", b: "ds:1", where: fmt.Sprintf("item %d", i)})
	}
	g := newFlowGraph(edges)
	if len(g.edges) != 1 || g.edges[0].where != "item 0" {
		t.Fatalf("%d edges kept", len(g.edges))
	}
	for i := 0; i < 100; i++ {
		if _, f := g.upstreamOf("model:m"); f != nil {
			t.Fatal(f)
		}
	}
	if g.visits != 100 {
		t.Errorf("%d nodes visited", g.visits)
	}
}

func TestNodeID(t *testing.T) {
	for _, id := range []string{"post:1", "rec:a.b_c:d@e/f+g=h-i", "shard:" + strings.Repeat("x", 200), "ds:1", "model:m", "subject:s"} {
		if !nodeID.MatchString(id) {
			t.Errorf("%q refused", id)
		}
	}
	for _, id := range []string{"post:", "record:1", "model:" + strings.Repeat("x", 201), "model:a b", "model:a\n", "Model:1", "model:é", " model:1", "model:1\n"} {
		if nodeID.MatchString(id) {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestOneLine(t *testing.T) {
	in := "a\nb\rc\u0085d\u2028e\u2029f\x1bg\u202eh\ti j\u00a0k" + "\xff"
	got := oneLine(in)
	want := "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ufffdi j\u00a0k\ufffd"
	if got != want {
		t.Errorf("oneLine: %q, want %q", got, want)
	}
	for _, s := range []string{"a\nb", "\u2028", "\x1b[2J", strings.Repeat("\n", 200)} {
		if q := show(s); strings.ContainsAny(q, "\n\r\u2028\x1b") {
			t.Errorf("show(%q) = %q", s, q)
		}
	}
}
