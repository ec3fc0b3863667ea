package bundle

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

func TestItemTags(t *testing.T) {
	if ItemTag != "lineage.dev/Lineage/v2 item\n" || RequestItemTag != "lineage.dev/Request/v2 item\n" {
		t.Errorf("tags %q and %q", ItemTag, RequestItemTag)
	}
	if len(RequestItemTag) != 28 {
		t.Errorf("the Request/v2 tag has %d bytes", len(RequestItemTag))
	}
	item := []byte(`["erasure","subject:1","2024-03-02T00:00:00Z"]`)
	if string(itemLeaf(ItemTag, item)) == string(itemLeaf(RequestItemTag, item)) {
		t.Error("the two tags give one leaf")
	}
}

func TestParseBatch(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	batchOf := func(members string) map[string]any {
		v, err := parseCanonical([]byte(`{"batch":{` + members + `}}`))
		if err != nil {
			t.Fatal(err)
		}
		return v.(map[string]any)
	}
	bt, err := parseBatch(RequestV2, batchOf(`"requests":3,"root":"`+root+`"`))
	if err != nil || bt.count() != 3 {
		t.Fatalf("requests 3: %v %v", bt, err)
	}
	for _, c := range []struct{ predicateType, members string }{
		{RequestV2, `"edges":2,"nodes":1,"root":"` + root + `"`}, // a Lineage/v2 shape
		{RequestV2, `"requests":0,"root":"` + root + `"`},
		{RequestV2, `"requests":-1,"root":"` + root + `"`},
		{RequestV2, `"requests":"3","root":"` + root + `"`},
		{RequestV2, `"requests":3`},
		{LineageV2, `"requests":3,"root":"` + root + `"`}, // a Request/v2 shape
		{LineageV2, `"edges":0,"nodes":0,"root":"` + root + `"`},
	} {
		if _, err := parseBatch(c.predicateType, batchOf(c.members)); err == nil {
			t.Errorf("%s {%s} was read as a batch", c.predicateType, c.members)
		}
	}
}

func TestRequestItem(t *testing.T) {
	for _, text := range []string{
		`["deletion","post:1","2024-03-01T00:00:00Z"]`,
		`["objection","subject:1","2024-03-01T00:00:00.5Z"]`,
		`["erasure","subject:1","2024-03-01T01:00:00+01:00"]`,
	} {
		v, err := parseCanonical([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := requestItem(v); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
	for _, text := range []string{
		`["deletion","subject:1","2024-03-01T00:00:00Z"]`,
		`["objection","post:1","2024-03-01T00:00:00Z"]`,
		`["erasure","post:1","2024-03-01T00:00:00Z"]`,
		`["erasure","subject:","2024-03-01T00:00:00Z"]`,
		`["Erasure","subject:1","2024-03-01T00:00:00Z"]`,
		`["erasure","subject:1","2024-03-01"]`,
		`["erasure","subject:1","2024-03-01T00:00:00"]`,
		`["erasure","subject:1"]`,
		`["erasure","subject:1",null]`,
		`{"kind":"erasure"}`,
		`["Post","post:1",{}]`,
	} {
		v, err := parseCanonical([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := requestItem(v); err == nil {
			t.Errorf("%s was taken for a request", text)
		}
	}
}

func TestReachers(t *testing.T) {
	edges := []edge{
		{kind: "AUTHORED", a: "subject:1", b: "post:1"},
		{kind: "DERIVED_FROM", a: "record:1", b: "post:1"},
		{kind: "PACKED_INTO", a: "record:1", b: "shard:1"},
		{kind: "DERIVED_FROM", a: "record:2", b: "post:2"},
		{kind: "DROPPED", a: "record:2", b: "shard:1"},
		{kind: "TRAINED_ON", a: "model:1", b: "shard:1"},
	}
	got, f := newFlowGraph(edges).upstreamOf("model:1")
	if f != nil {
		t.Fatal(f)
	}
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	want := "post:1 record:1 shard:1 subject:1"
	if strings.Join(sorted(ids), " ") != want {
		t.Errorf("reachers of model:1: %v, want %s", sorted(ids), want)
	}
	if got["model:1"] || got["post:2"] {
		t.Error("the artifact or a dropped record's post reaches it")
	}
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

func TestPredicateIndex(t *testing.T) {
	p := map[string]any{"request": json.Number("7"), "item": json.Number("-1"), "other": "7", "null": nil, "huge": json.Number("18446744073709551616")}
	if v, present, err := predicateIndex(p, "request"); v != 7 || !present || err != nil {
		t.Errorf("request: %d %t %v", v, present, err)
	}
	if _, present, err := predicateIndex(p, "missing"); present || err != nil {
		t.Errorf("missing: %t %v", present, err)
	}
	for _, name := range []string{"item", "other", "null", "huge"} {
		if _, _, err := predicateIndex(p, name); err == nil {
			t.Errorf("%s was read as an index", name)
		}
	}
}
