package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	tb "lineage.local/verifiers/go/internal/testbundle"
)

// batchPos is the position in "batches" of the full batch of entry n.
func batchPos(t *testing.T, f *tb.Fixture, n uint64) int {
	t.Helper()
	for k, fb := range f.Doc.Batches {
		if fb.Entry == n {
			return k
		}
	}
	t.Fatalf("no full batch of entry %d", n)
	return -1
}

// dropEntry leaves log entry n out of the bundle.
func dropEntry(f *tb.Fixture, n uint64) {
	i := f.EntryPos(n)
	f.Doc.Entries = append(f.Doc.Entries[:i], f.Doc.Entries[i+1:]...)
}

func TestComplete(t *testing.T) {
	// In BuildComplete, "batches" holds, in log order, the batches of entries 3 (a
	// record), 4 (IngestEntry), 5 (TrainEntry), 6 (a record), 7 (SecondEntry) and 11
	// (RequestEntry): batch 1 is the ingest batch, batch 2 the train batch.
	const ingest, train = 1, 2
	setItem := func(k, i int, text string) func(t *testing.T, f *tb.Fixture) []string {
		return func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches[k].Items[i] = text
			return nil
		}
	}
	runCases(t, []testCase{
		{name: "good", build: tb.BuildComplete, line: at(`PROVEN: artifact "model:1" fails policy "public-content-training" version "2024.08" (2 violations, 2 notices): a complete bundle, its counts proven structurally (the policy's rules are not evaluated again here; lineage verify-bundle does that)`),
			output: []string{
				"counts (proven structurally): 3 origins, 3 posts, 2 violations, 2 notices",
				"proven structurally here: the bundle holds every entry of the log",
				"complete: 3 posts reach the artifact along the 15 disclosed edges",
				"coverage: all the checkpoint's 12 entries, and the full batches of all 6 batch statements",
				"findings: 4",
				`  violation "no-objected-content": "post:2" -> "record:2" -> "model:1"`,
				`  violation "no-objected-content": "post:4" -> "record:4" -> "model:1"`,
				`  notice "unknown-origin": (no origin) -> "record:1" -> "model:1"`,
				`  notice "incomplete-lineage": "dataset:9" (no origin: a lineage gap, stated, not shown by a path)`,
				"entries: 12, items: 0 (0 nodes, 0 edges)",
				"full batches: 6 (9 nodes, 12 edges, 2 requests)",
				"Lineage/v1 and Request/v1 entries: 2 (2 nodes, 3 edges, 2 requests in their payloads)",
			}},
		{name: "a path through a Lineage/v1 payload and full batches", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim = map[string]any{"kind": "path", "post": "post:4", "artifact": "model:1"}
			return nil
		}, line: at(`PROVEN: post "post:4" reaches artifact "model:1" (4 edges)`),
			output: []string{
				`  "post:4" -> "record:4"  [DERIVED_FROM, entry {V}, Lineage/v1 predicate.edges[1]]`,
				`  "record:4" -> "shard:1"  [PACKED_INTO, entry {V}, Lineage/v1 predicate.edges[2]]`,
				`  "shard:1" -> "dataset:1"  [PART_OF, batch 2, position 2]`,
				`  "dataset:1" -> "model:1"  [TRAINED_ON, batch 2, position 3]`,
				`post node: Post platform="forum"`,
			}},
		{name: "the Lineage/v1 entry left out", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			dropEntry(f, f.V1Entry)
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[1]: record "record:4" does not reach artifact "model:1"`)},
		{name: "the Lineage/v1 payload malformed", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.V1Entry)]
			e.Entry = restate(e.Entry, func(st map[string]any) {
				st["predicate"].(map[string]any)["edges"] = []any{[]any{"COPIED", "record:4", "post:4"}}
			})
			return nil
		}, line: atf(`NOT PROVEN: entry at entry {V}: predicate.edges[0] is not an edge: unknown edge kind "COPIED"`)},
		{name: "a Request/v1 payload of the wrong shape", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.RequestV1Entry)]
			e.Entry = restate(e.Entry, func(st map[string]any) {
				st["predicate"].(map[string]any)["requests"] = "deletion of post:4"
			})
			return nil
		}, line: atf(`NOT PROVEN: entry at entry {W}: predicate.requests is not an array`)},
		{name: "posts counted wrong", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			setCounts(f, "posts", 2)
			return nil
		}, line: at(`NOT PROVEN: claim at claim: the claim is complete, but 3 posts reach artifact "model:1" along the 15 disclosed edges, not claim.counts.posts 2`)},
		{name: "posts counted too many", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			setCounts(f, "posts", 4)
			return nil
		}, line: at(`NOT PROVEN: claim at claim: the claim is complete, but 3 posts reach artifact "model:1" along the 15 disclosed edges, not claim.counts.posts 4`)},
		{name: "an entry left out", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			dropEntry(f, f.RequestV1Entry) // its payload holds requests only: the findings still hold
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks entry {W} (the checkpoint's size is 12; the bundle has 11 entries)`)},
		{name: "the last entry left out, with its batch", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			dropEntry(f, f.RequestEntry)
			f.Doc.Batches = f.Doc.Batches[:5]
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks entry {R} (the checkpoint's size is 12; the bundle has 11 entries)`)},
		{name: "a batch left out", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches = f.Doc.Batches[1:] // entry 3's: a record, no edge
			return nil
		}, line: at(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks the full batch of entry 3 (a "https://lineage.dev/Lineage/v2" statement) in batches`)},
		{name: "a Request/v2 batch left out", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches = f.Doc.Batches[:5]
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks the full batch of entry {R} (a "https://lineage.dev/Request/v2" statement) in batches`)},
		{name: "an entry left out decides before a batch left out", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			dropEntry(f, f.RequestV1Entry)
			f.Doc.Batches = f.Doc.Batches[1:]
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks entry {W} `)},
		{name: "coverage checked before the posts count", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches = f.Doc.Batches[1:]
			setCounts(f, "posts", 2)
			return nil
		}, line: at(`NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks the full batch of entry 3 `)},
		{name: "the findings checked before coverage", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches = f.Doc.Batches[1:]
			finding(f, 2)["record"] = "record:9"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[2]: record "record:9" does not reach`)},
		{name: "a claim not complete need not cover the log", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["complete"] = false
			dropEntry(f, f.RequestV1Entry)
			f.Doc.Batches = f.Doc.Batches[1:]
			return nil
		}, line: at(`PROVEN: the 4 findings listed about artifact "model:1" `), output: []string{"not complete: the findings' paths only", "the operator's statement, not proven"}},
		{name: "a path claim need not cover the log", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim = map[string]any{"kind": "path", "post": "post:2", "artifact": "model:1"}
			dropEntry(f, f.RequestV1Entry)
			f.Doc.Batches = f.Doc.Batches[1:]
			return nil
		}, line: at(`PROVEN: post "post:2" reaches artifact "model:1"`)},
		{name: "an item of a full batch changed", build: tb.BuildComplete,
			change: setItem(ingest, 4, `["DERIVED_FROM","record:1","post:2"]`),
			line:   atf("NOT PROVEN: batch-path at batch 1: the items lead to the root ")},
		{name: "two items of a full batch swapped", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			items := f.Doc.Batches[train].Items
			items[2], items[3] = items[3], items[2]
			return nil
		}, line: at("NOT PROVEN: batch-path at batch 2: the items lead to the root ")},
		{name: "an item of a full batch not canonical", build: tb.BuildComplete,
			change: setItem(ingest, 4, `["DERIVED_FROM", "record:1", "post:1"]`),
			line:   at("NOT PROVEN: item at batch 1: item 4: the item is not in RFC 8785 canonical form")},
		{name: "an item of a full batch with escaped text", build: tb.BuildComplete,
			change: setItem(ingest, 4, `["DERIVED_FROM","record:\u0031","post:1"]`),
			line:   at("NOT PROVEN: item at batch 1: item 4: ")},
		{name: "an edge among the nodes of a full batch", build: tb.BuildComplete,
			change: setItem(ingest, 0, `["DERIVED_FROM","record:1","post:1"]`),
			line:   at("NOT PROVEN: item at batch 1: item 0: position 0 is below the batch's 3 nodes, and the item is not a node")},
		{name: "a node among the edges of a full batch", build: tb.BuildComplete,
			change: setItem(ingest, 3, `["Record","record:1",{}]`),
			line:   at("NOT PROVEN: item at batch 1: item 3: position 3 is not below the batch's 3 nodes, and the item is not an edge")},
		{name: "a node in a full Request/v2 batch", build: tb.BuildComplete,
			change: setItem(5, 0, `["Record","record:1",{}]`),
			line:   at("NOT PROVEN: item at batch 5: item 0: the item of a Request/v2 batch is not a request")},
		{name: "a full batch short of an item", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			fb := &f.Doc.Batches[ingest]
			fb.Items = fb.Items[:len(fb.Items)-1]
			return nil
		}, line: atf("NOT PROVEN: batch-path at batch 1: 6 items, but the batch of entry {G} has 7")},
		{name: "a full batch with an item more", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			fb := &f.Doc.Batches[train]
			fb.Items = append(fb.Items, `["PART_OF","shard:2","dataset:1"]`)
			return nil
		}, line: at("NOT PROVEN: batch-path at batch 2: 6 items, but the batch of entry ")},
		{name: "a full batch of no items", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches[0].Items = []string{}
			return nil
		}, line: at("NOT PROVEN: batch-path at batch 0: 0 items, but the batch of entry 3 has 1")},
		{name: "a full batch under another entry", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches[ingest].Entry = f.SecondEntry // also 7 items, but 2 nodes
			return nil
		}, line: at("NOT PROVEN: item at batch 1: item 2: position 2 is not below the batch's 2 nodes, and the item is not an edge")},
		{name: "a full batch of an entry not in the bundle", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			dropEntry(f, f.SecondEntry)
			return nil
		}, line: atf("NOT PROVEN: item at batch 4: its entry 7 is not in the bundle")},
		{name: "a full batch of a Lineage/v1 entry", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches[0].Entry = f.V1Entry
			return nil
		}, line: atf(`NOT PROVEN: item at batch 0: its entry {V} is a "https://lineage.dev/Lineage/v1" statement, not a batch statement`)},
		{name: "full batches checked after the items", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items = []tb.DocItem{tb.Disclose(f.IngestEntry, f.IngestBatch, 4)}
			f.Doc.Items[0].Path[0] = flipB64(f.Doc.Items[0].Path[0])
			f.Doc.Batches[0].Items = []string{}
			return nil
		}, line: at("NOT PROVEN: batch-path at item 0: ")},
		{name: "full batches checked in order", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Batches[train].Items = []string{}
			f.Doc.Batches[ingest].Items[0] = "[]"
			return nil
		}, line: at("NOT PROVEN: item at batch 1: ")},
		{name: "full batches checked before the policy", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy = nil
			f.Doc.Batches[train].Items = []string{}
			return nil
		}, line: at("NOT PROVEN: batch-path at batch 2: ")},
		{name: "an unknown-origin finding whose record reaches nothing", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 2)["record"] = "record:9"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[2]: record "record:9" does not reach artifact "model:1" along the disclosed edges`)},
		{name: "an unknown-origin finding whose record is dropped", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 2)["record"] = "record:3"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[2]: record "record:3" does not reach`)},
		{name: "an unknown-origin finding with an origin", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 2)["origin"] = "post:2"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[2]: origin "post:2" does not reach record "record:1"`)},
		{name: "an unknown-origin finding of the artifact itself", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 2)["record"] = "model:1" // reaching is along one edge or more
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[2]: record "model:1" does not reach`)},
		{name: "an origin that is its record", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["origin"] = "record:2"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[0]: origin "record:2" does not reach record "record:2"`)},
		{name: "lineage gaps show no path", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["findings"] = append(f.Doc.Claim["findings"].([]any),
				map[string]any{"rule": "cycle", "level": "violation", "origin": nil, "record": "model:9", "shard": nil},
				map[string]any{"rule": "incomplete-lineage", "level": "violation", "origin": nil, "record": "shard:7", "shard": "shard:7"},
			)
			return nil
		}, line: at(`PROVEN: artifact "model:1" fails`), output: []string{
			`  violation "cycle": "model:9" (no origin: a lineage gap, stated, not shown by a path)`,
			`  violation "incomplete-lineage": "shard:7" (no origin`,
		}},
		{name: "a lineage gap still names its record", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 3)["record"] = nil
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.findings[3].record is not a string")},
		{name: "an incomplete-lineage finding with an origin shows its path", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 3)["origin"] = "post:1"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[3]: record "dataset:9" does not reach`)},
		{name: "receipts of a full Request/v2 batch", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim = map[string]any{"kind": "receipts"}
			receipts(f, "subject:2", tb.Receipt(f.RequestEntry, 0, nil), tb.Receipt(f.RequestEntry, 1, nil))
			return nil
		}, line: at(`PROVEN: 2 requests about "subject:2" recorded, 0 answered`), output: []string{
			`  objection of "subject:2" at 2024-03-08T00:00:00Z  [entry {R}, position 0, batch 5]`,
			`  erasure of "subject:2" at 2024-03-08T01:00:00Z  [entry {R}, position 1, batch 5]`,
		}},
		{name: "receipts of a Request/v1 payload", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim = map[string]any{"kind": "receipts"}
			receipts(f, "post:4", tb.Receipt(f.RequestV1Entry, 1, nil))
			return nil
		}, line: at(`PROVEN: 1 requests about "post:4" recorded, 0 answered`), output: []string{
			`  deletion of "post:4" at 2024-03-06T13:00:00Z  [entry {W}, position 1, Request/v1 payload]`,
		}},
		{name: "receipts past a Request/v1 payload", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim = map[string]any{"kind": "receipts"}
			receipts(f, "post:4", tb.Receipt(f.RequestV1Entry, 2, nil))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0]: item 2 of entry {W} is not disclosed")},
		{name: "a path bundle of full batches", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items = []tb.DocItem{}
			f.Doc.Batches = []tb.DocBatch{f.FullBatch(f.IngestEntry), f.FullBatch(f.TrainEntry)}
			return nil
		}, line: at(`PROVEN: post "post:1" reaches artifact "model:1" (4 edges)`), output: []string{
			`  "post:1" -> "record:1"  [DERIVED_FROM, batch 0, position 4]`,
			"full batches: 2 (5 nodes, 7 edges)",
		}},
	})
	if f := tb.BuildComplete(tb.Scenario{}); batchPos(t, f, f.IngestEntry) != ingest || batchPos(t, f, f.TrainEntry) != train || batchPos(t, f, f.RequestEntry) != 5 {
		t.Error("the fixture's batches are not in the order the cases assume")
	}
}

// rewrite decodes a document, changes it and encodes it again.
func rewrite(t *testing.T, doc []byte, change func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnreadableBatches(t *testing.T) {
	f := tb.BuildComplete(tb.Scenario{})
	good := f.Doc.JSON()
	if code, out, _ := verify(t, rewrite(t, good, func(map[string]any) {})); code != 0 {
		t.Fatalf("the rewritten good bundle: exit %d\n%s", code, out)
	}
	first := func(m map[string]any) map[string]any { return m["batches"].([]any)[0].(map[string]any) }
	cases := map[string]func(m map[string]any){
		"batches an object":     func(m map[string]any) { m["batches"] = map[string]any{"entry": 3, "items": []any{}} },
		"batches null":          func(m map[string]any) { m["batches"] = nil },
		"batches a string":      func(m map[string]any) { m["batches"] = "[]" },
		"a batch not an object": func(m map[string]any) { m["batches"].([]any)[0] = []any{3, []any{}} },
		"a batch null":          func(m map[string]any) { m["batches"].([]any)[1] = nil },
		"entry missing":         func(m map[string]any) { delete(first(m), "entry") },
		"entry a string":        func(m map[string]any) { first(m)["entry"] = "3" },
		"entry negative":        func(m map[string]any) { first(m)["entry"] = -3 },
		"entry fractional":      func(m map[string]any) { first(m)["entry"] = 3.5 },
		"entry null":            func(m map[string]any) { first(m)["entry"] = nil },
		"items missing":         func(m map[string]any) { delete(first(m), "items") },
		"items a string":        func(m map[string]any) { first(m)["items"] = `["Record","record:0",{}]` },
		"items null":            func(m map[string]any) { first(m)["items"] = nil },
		"an item not a string":  func(m map[string]any) { first(m)["items"] = []any{[]any{"Record", "record:0", map[string]any{}}} },
		"an item null":          func(m map[string]any) { first(m)["items"] = []any{nil} },
		"items of an object":    func(m map[string]any) { first(m)["items"] = map[string]any{"0": `["Record","record:0",{}]`} },
		"an item a number in a list": func(m map[string]any) {
			first(m)["items"] = append(first(m)["items"].([]any), 7)
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			doc := rewrite(t, good, change)
			code, out, errOut := verify(t, doc)
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "lineage-verify-bundle: ") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if !strings.Contains(errOut, "batches") {
				t.Errorf("stderr does not name batches: %q", errOut)
			}
		})
	}
	// A duplicated member inside a batch is refused like any other.
	dup := bytes.Replace(good, []byte(`"entry": 3,`), []byte(`"entry": 3, "entry": 4,`), 1)
	if bytes.Equal(dup, good) {
		t.Fatal("the duplicate did not apply")
	}
	if code, _, _ := verify(t, dup); code != 2 {
		t.Errorf("a duplicated entry member: exit %d", code)
	}
}
