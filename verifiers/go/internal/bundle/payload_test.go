package bundle

import (
	"testing"
)

func TestParsePayload(t *testing.T) {
	predicate := func(text string) map[string]any {
		v, err := parseCanonical([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return v.(map[string]any)
	}
	p, err := parsePayload(LineageV1, predicate(`{"edges":[["DERIVED_FROM","record:1","post:1"]],"nodes":[["Post","post:1",{"likes":3}]]}`))
	if err != nil || len(p.nodes) != 1 || len(p.edges) != 1 || len(p.requests) != 0 {
		t.Fatalf("Lineage/v1: %+v %v", p, err)
	}
	if p, err := parsePayload(LineageV1, predicate(`{"nodes":[["Shard","shard:1",{}]]}`)); err != nil || len(p.nodes) != 1 || len(p.edges) != 0 {
		t.Errorf("Lineage/v1 of nodes only: %+v %v", p, err)
	}
	p, err = parsePayload(RequestV1, predicate(`{"edges":[1],"requests":[["deletion","post:1","2024-03-01T00:00:00Z"]]}`))
	if err != nil || len(p.requests) != 1 || len(p.edges) != 0 {
		t.Errorf("Request/v1 (its edges member not read): %+v %v", p, err)
	}
	for _, c := range []struct{ predicateType, text string }{
		{LineageV1, `{"nodes":{}}`},
		{LineageV1, `{"edges":null}`},
		{LineageV1, `{"nodes":[["Thing","x:1",{}]]}`},
		{LineageV1, `{"nodes":[["Post","post:1",{"likes":true}]]}`},
		{LineageV1, `{"edges":[["DERIVED_FROM","record:1"]]}`},
		{LineageV1, `{"edges":[["Post","post:1",{}]]}`},
		{RequestV1, `{"requests":"x"}`},
		{RequestV1, `{"requests":[["deletion","subject:1","2024-03-01T00:00:00Z"]]}`},
	} {
		if _, err := parsePayload(c.predicateType, predicate(c.text)); err == nil {
			t.Errorf("%s %s was read", c.predicateType, c.text)
		}
	}
}

// Reaching is along one edge or more: a node reaches itself only through a cycle.
func TestReachersCycle(t *testing.T) {
	edges := []edge{
		{kind: "FINETUNED_FROM", a: "model:1", b: "model:2"},
		{kind: "FINETUNED_FROM", a: "model:2", b: "model:1"},
		{kind: "TRAINED_ON", a: "model:3", b: "dataset:1"},
	}
	g := newFlowGraph(edges)
	if up, _ := g.upstreamOf("model:1"); !up["model:1"] {
		t.Error("model:1 does not reach itself through its cycle")
	}
	if up, _ := g.upstreamOf("model:3"); up["model:3"] {
		t.Error("model:3 reaches itself without a cycle")
	}
}
