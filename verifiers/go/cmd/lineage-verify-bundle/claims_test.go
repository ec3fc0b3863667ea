package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tb "lineage.local/verifiers/go/internal/testbundle"
)

func u64(n uint64) *uint64 { return &n }

// receipts sets a receipts claim's target and receipts.
func receipts(f *tb.Fixture, target string, list ...map[string]any) {
	f.Doc.Claim["target"] = target
	rs := make([]any, len(list))
	for i, r := range list {
		rs[i] = r
	}
	f.Doc.Claim["receipts"] = rs
}

// expand replaces the fixture's entry indexes in an expected line: {G} IngestEntry,
// {R} RequestEntry, {E} ErasureEntry, {N} ErasureNoItem, {I} ErasureOtherItem, {Q}
// ErasureOtherRequest, {P} PolicyEntry, {V} V1Entry, {W} RequestV1Entry.
func expand(f *tb.Fixture, line string) string {
	return strings.NewReplacer(
		"{G}", fmt.Sprint(f.IngestEntry), "{R}", fmt.Sprint(f.RequestEntry), "{E}", fmt.Sprint(f.ErasureEntry),
		"{N}", fmt.Sprint(f.ErasureNoItem), "{I}", fmt.Sprint(f.ErasureOtherItem), "{Q}", fmt.Sprint(f.ErasureOtherRequest),
		"{P}", fmt.Sprint(f.PolicyEntry), "{V}", fmt.Sprint(f.V1Entry), "{W}", fmt.Sprint(f.RequestV1Entry),
	).Replace(line)
}

// atf is an expected first line with the fixture's entry indexes expanded.
func atf(line string) func(*tb.Fixture) string {
	return func(f *tb.Fixture) string { return expand(f, line) }
}

func TestReceipts(t *testing.T) {
	claim := at("NOT PROVEN: claim at claim: ")
	runCases(t, []testCase{
		{name: "good, one answered", build: tb.BuildReceipts, line: at(`PROVEN: 2 requests about "subject:1" recorded, 1 answered by an erasure`),
			output: []string{
				`  objection of "subject:1" at 2024-03-01T00:00:00Z  [entry {R}, position 0, item 0]`,
				`  erasure of "subject:1" at 2024-03-02T00:00:00Z  [entry {R}, position 2, item 2] answered by entry {E} (Erasure at 2024-03-04T00:00:00Z)`,
				"items: 3 (0 nodes, 0 edges, 3 requests)",
			}},
		{name: "good, none answered", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 0, nil), tb.Receipt(f.RequestEntry, 2, nil))
			return nil
		}, line: at(`PROVEN: 2 requests about "subject:1" recorded, 0 answered by an erasure`)},
		{name: "good, a post's deletion", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "post:1", tb.Receipt(f.RequestEntry, 1, nil))
			return nil
		}, line: at(`PROVEN: 1 requests about "post:1" recorded, 0 answered`)},
		{name: "good, an erasure naming no item", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, &f.ErasureNoItem))
			return nil
		}, line: at(`PROVEN: 1 requests about "subject:1" recorded, 1 answered`)},
		{name: "item not disclosed", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:2", tb.Receipt(f.RequestEntry, 3, nil))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0]: item 3 of entry {R} is not disclosed (in items, a full batch or a Request/v1 payload)")},
		{name: "item left out of items", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items = f.Doc.Items[:2]
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[1]: item 2 of entry {R} is not disclosed")},
		{name: "item not a request", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items = append(f.Doc.Items, tb.Disclose(f.IngestEntry, f.IngestBatch, 4))
			receipts(f, "subject:1", tb.Receipt(f.IngestEntry, 4, nil))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0]: item 4 of entry {G} is not a request")},
		{name: "target mismatch", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:2", tb.Receipt(f.RequestEntry, 0, nil))
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: claim.receipts[0]: the request at item 0 of entry {R} is about "subject:1", not "subject:2"`)},
		{name: "target a post, request about its author", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "post:1", tb.Receipt(f.RequestEntry, 1, nil), tb.Receipt(f.RequestEntry, 0, nil))
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts[1]: the request at item 0")},
		{name: "answeredBy not in the bundle", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, u64(3)))
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts[0].answeredBy: entry 3 is not in the bundle")},
		{name: "answeredBy not an Erasure statement", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, &f.RequestEntry))
			return nil
		}, line: atf(`NOT PROVEN: claim at claim: claim.receipts[0].answeredBy: entry {R} is a "https://lineage.dev/Request/v2" statement, not "https://lineage.dev/Erasure/v1"`)},
		{name: "answeredBy a key registration", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, u64(0)))
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts[0].answeredBy: entry 0 is a")},
		{name: "answeredBy names another request", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, &f.ErasureOtherRequest))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0].answeredBy: entry {Q} answers the request of entry {G}, not of entry {R}")},
		{name: "answeredBy names another item", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 2, &f.ErasureOtherItem))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0].answeredBy: entry {I} answers item 3 of entry {R}, not item 2")},
		{name: "answered request not an erasure", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, 0, &f.ErasureNoItem))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0]: entry {N} answers an erasure, but the request at item 0 of entry {R} is of kind objection, not erasure")},
		{name: "answered deletion", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "post:1", tb.Receipt(f.RequestEntry, 1, &f.ErasureNoItem))
			return nil
		}, line: atf("NOT PROVEN: claim at claim: claim.receipts[0]: entry {N} answers an erasure, but the request at item 1 of entry {R} is of kind deletion, not erasure")},
		{name: "no receipts", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts is empty")},
		{name: "receipts missing", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			delete(f.Doc.Claim, "receipts")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts is missing")},
		{name: "answeredBy missing", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			r := tb.Receipt(f.RequestEntry, 0, nil)
			delete(r, "answeredBy")
			receipts(f, "subject:1", r)
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts[0].answeredBy is missing")},
		{name: "answeredBy a string", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			r := tb.Receipt(f.RequestEntry, 2, nil)
			r["answeredBy"] = "10"
			receipts(f, "subject:1", r)
			return nil
		}, line: claim},
		{name: "position negative", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			receipts(f, "subject:1", tb.Receipt(f.RequestEntry, -1, nil))
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.receipts[0].position is not a non-negative integer")},
		{name: "target not a subject or post", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["target"] = "record:1"
			return nil
		}, line: claim},
	})
}

// checkClaim changes a member of the check claim.
func setCounts(f *tb.Fixture, name string, n int) {
	f.Doc.Claim["counts"].(map[string]any)[name] = n
}

func finding(f *tb.Fixture, i int) map[string]any {
	return f.Doc.Claim["findings"].([]any)[i].(map[string]any)
}

func TestCheck(t *testing.T) {
	policy := at("NOT PROVEN: policy at policy: ")
	claim := at("NOT PROVEN: claim at claim: ")
	runCases(t, []testCase{
		{name: "good", build: tb.BuildCheck, line: at(`PROVEN: the 2 findings listed about artifact "model:1" under policy "public-content-training" version "2024.08", each shown by its path (a lineage gap only stated); the counts and the outcome (fails: 1 violations, 1 notices) are the operator's statement, not proven (a complete bundle proves them)`),
			output: []string{
				"policy: sha256 ", ", registered in entry {P}, document of ",
				"counts (the operator's statement, not proven): 2 origins, 2 posts, 1 violations, 1 notices; outcome: fails",
				"not complete: the findings' paths only",
				`  violation "no-objected-content": "post:2" -> "record:2" -> "model:1"`,
				`  notice "unknown-origin": (no origin) -> "record:1" -> "model:1"`,
				"not checked here: the policy's rules",
			}},
		{name: "good, not complete, posts not counted", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			setCounts(f, "posts", 9400)
			setCounts(f, "origins", 9400)
			return nil
		}, line: at(`PROVEN: the 2 findings listed about artifact "model:1" under policy`), output: []string{"not complete: the findings' paths only", "counts (the operator's statement, not proven): 9400 origins, 9400 posts"}},
		{name: "good, passed", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["passed"] = true
			f.Doc.Claim["asOf"] = "2024-06-01T00:00:00Z"
			setCounts(f, "violations", 0)
			f.Doc.Claim["findings"] = []any{}
			return nil
		}, line: at(`PROVEN: the 0 findings listed about artifact "model:1" under policy "public-content-training" version "2024.08", each shown by its path (a lineage gap only stated); the counts and the outcome (passes: 0 violations, 1 notices) are the operator's statement, not proven`),
			output: []string{`as of: "2024-06-01T00:00:00Z"`, "findings: 0", "outcome: passes"}},
		{name: "policy member missing", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy = nil
			return nil
		}, line: at(`NOT PROVEN: policy at policy: the bundle has no policy member`)},
		{name: "policy checked before the claim", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy = nil
			f.Doc.Claim["passed"] = true
			return nil
		}, line: policy},
		{name: "items checked before the policy", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy = nil
			f.Doc.Items[1].Item = `["DERIVED_FROM","record:1","post:2"]`
			return nil
		}, line: at("NOT PROVEN: batch-path at item 1: ")},
		{name: "document digest mismatch", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy.Document = base64.StdEncoding.EncodeToString([]byte(tb.PolicyDocument + "# edited\n"))
			return nil
		}, line: at("NOT PROVEN: policy at policy: the SHA-256 of policy.document is ")},
		{name: "document not base64", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy.Document = "not base64!"
			return nil
		}, line: at("NOT PROVEN: policy at policy: policy.document: not base64")},
		{name: "registration entry missing", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy.Registration = 3
			return nil
		}, line: at("NOT PROVEN: policy at policy: the registration entry 3 is not in the bundle")},
		{name: "registration entry left out", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Entries = f.Doc.Entries[:len(f.Doc.Entries)-1]
			return nil
		}, line: atf("NOT PROVEN: policy at policy: the registration entry {P} is not in the bundle")},
		{name: "registration not a PolicyRegistration", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy.Registration = f.IngestEntry
			return nil
		}, line: atf(`NOT PROVEN: policy at policy: the registration entry {G} is a "https://lineage.dev/Lineage/v2" statement, not "https://lineage.dev/PolicyRegistration/v1"`)},
		{name: "id mismatch", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["policy"].(map[string]any)["id"] = "other-policy"
			return nil
		}, line: atf(`NOT PROVEN: policy at policy: claim.policy.id is "other-policy", but entry {P} registers "public-content-training"`)},
		{name: "version mismatch", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["policy"].(map[string]any)["version"] = "2024.09"
			return nil
		}, line: at("NOT PROVEN: policy at policy: claim.policy.version ")},
		{name: "sha256 mismatch", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["policy"].(map[string]any)["sha256"] = strings.Repeat("0", 64)
			return nil
		}, line: at("NOT PROVEN: policy at policy: claim.policy.sha256 ")},
		{name: "sha256 in upper case", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["policy"].(map[string]any)["sha256"] = strings.ToUpper(f.PolicySHA256)
			return nil
		}, line: policy},
		{name: "claim policy missing", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			delete(f.Doc.Claim, "policy")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.policy is missing")},
		{name: "passed with violations", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["passed"] = true
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.passed is true, but claim.counts.violations is 1")},
		{name: "failed without violations", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			setCounts(f, "violations", 0)
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.passed is false, but claim.counts.violations is 0")},
		{name: "origin does not reach its record", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["origin"] = "post:1"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[0]: origin "post:1" does not reach record "record:2"`)},
		{name: "origin of a dropped record", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 1)["origin"], finding(f, 1)["record"] = "post:3", "record:3"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[1]: record "record:3" does not reach artifact "model:1"`)},
		{name: "record does not reach the artifact", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["record"] = "record:9"
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[0]: record "record:9" does not reach`)},
		{name: "record edge left out", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items = append(f.Doc.Items[:9], f.Doc.Items[10:]...) // PACKED_INTO record:2 shard:1
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[0]: record "record:2" does not reach`)},
		{name: "an items bundle claimed complete", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["complete"] = true
			return nil
		}, line: at("NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks entry 3 (the checkpoint's size is 9; the bundle has 7 entries)")},
		{name: "an items bundle claimed complete, its posts counted wrong", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["complete"] = true
			setCounts(f, "posts", 3)
			return nil
		}, line: at("NOT PROVEN: claim at claim: the claim is complete, but the bundle lacks entry 3 ")},
		{name: "finding origin a number", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["origin"] = 2
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.findings[0].origin is not a string or null")},
		{name: "counts without notices", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			delete(f.Doc.Claim["counts"].(map[string]any), "notices")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.counts.notices is missing")},
		{name: "passed a string", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["passed"] = "false"
			return nil
		}, line: claim},
		{name: "many findings", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			var list []any
			for i := 0; i < 20000; i++ {
				list = append(list, map[string]any{"rule": "r", "level": "violation", "origin": "post:2", "record": "record:2", "shard": nil},
					map[string]any{"rule": "unknown-origin", "level": "notice", "origin": nil, "record": "record:1", "shard": nil},
					map[string]any{"rule": "r", "level": "violation", "origin": "subject:2", "record": "shard:1", "shard": nil})
			}
			f.Doc.Claim["findings"] = list
			return nil
		}, line: at(`PROVEN: the 60000 findings listed about artifact "model:1"`)},
		{name: "policy member on a path bundle is not read", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Policy = &tb.DocPolicy{Document: "", Registration: 99}
			return nil
		}, line: at("PROVEN: ")},
	})
}

func TestRequestItems(t *testing.T) {
	item0 := at("NOT PROVEN: item at item 0: ")
	text := func(s string) func(t *testing.T, f *tb.Fixture) []string {
		return func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Item = s
			return nil
		}
	}
	runCases(t, []testCase{
		{name: "leaf tag of Lineage/v2", build: tb.BuildReceipts, scenario: tb.Scenario{RequestTag: tb.ItemTag},
			line: atf("NOT PROVEN: batch-path at item 0: the path does not lead to the batch root of entry {R}")},
		{name: "leaf tag without the newline", build: tb.BuildReceipts, scenario: tb.Scenario{RequestTag: strings.TrimSuffix(tb.RequestItemTag, "\n")},
			line: at("NOT PROVEN: batch-path at item 0: ")},
		{name: "kind unknown", build: tb.BuildReceipts, change: text(`["Objection","subject:1","2024-03-01T00:00:00Z"]`),
			line: at(`NOT PROVEN: item at item 0: the item of a Request/v2 batch is not a request: unknown request kind "Objection"`)},
		{name: "deletion of a subject", build: tb.BuildReceipts, change: text(`["deletion","subject:1","2024-03-01T00:00:00Z"]`),
			line: at(`NOT PROVEN: item at item 0: the item of a Request/v2 batch is not a request: deletion requests are about post:… ids, not "subject:1"`)},
		{name: "objection of a post", build: tb.BuildReceipts, change: text(`["objection","post:1","2024-03-01T00:00:00Z"]`), line: item0},
		{name: "erasure of a record", build: tb.BuildReceipts, change: text(`["erasure","record:1","2024-03-01T00:00:00Z"]`), line: item0},
		{name: "erasure of no one", build: tb.BuildReceipts, change: text(`["erasure","subject:","2024-03-01T00:00:00Z"]`), line: item0},
		{name: "at not RFC 3339", build: tb.BuildReceipts, change: text(`["objection","subject:1","2024-03-01 00:00:00"]`),
			line: at(`NOT PROVEN: item at item 0: the item of a Request/v2 batch is not a request: at "2024-03-01 00:00:00" is not an RFC 3339 time`)},
		{name: "at a number", build: tb.BuildReceipts, change: text(`["objection","subject:1",1709251200]`), line: item0},
		{name: "four elements", build: tb.BuildReceipts, change: text(`["objection","subject:1","2024-03-01T00:00:00Z","x"]`), line: item0},
		{name: "an edge in a request batch", build: tb.BuildReceipts, change: text(`["DERIVED_FROM","record:1","post:1"]`), line: item0},
		{name: "not canonical", build: tb.BuildReceipts, change: text(`["objection", "subject:1", "2024-03-01T00:00:00Z"]`), line: item0},
		{name: "position past the requests", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[2].Position = 4
			return nil
		}, line: at("NOT PROVEN: item at item 2: position 4 is not below the batch's 4 items")},
		{name: "request disclosed as a Lineage/v2 node", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Entry = f.IngestEntry
			return nil
		}, line: item0},
		{name: "node disclosed as a request", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Item = string(f.IngestBatch.Items[0])
			return nil
		}, line: item0},
		{name: "a request at another position", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Position = 1
			return nil
		}, line: at("NOT PROVEN: batch-path at item 0: ")},
		{name: "a request of an Erasure statement", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Entry = f.ErasureEntry
			return nil
		}, line: atf(`NOT PROVEN: item at item 0: its entry {E} is a "https://lineage.dev/Erasure/v1" statement, not a batch statement`)},
	})
	if got := tb.TagOf(tb.RequestV2); got != tb.RequestItemTag || len(got) != 28 {
		t.Errorf("the Request/v2 tag is %q", got)
	}
	if got := tb.TagOf(tb.LineageV2); got != tb.ItemTag {
		t.Errorf("the Lineage/v2 tag is %q", got)
	}
}

func TestUnreadablePolicy(t *testing.T) {
	f := tb.BuildCheck(tb.Scenario{})
	good := string(f.Doc.JSON())
	member := fmt.Sprintf(`"registration": %d`, f.PolicyEntry)
	cases := map[string]string{
		"policy a string":          strings.Replace(good, `"policy": {`+"\n    \"document\"", `"policy": "x", "policy_": {`+"\n    \"document\"", 1),
		"document a number":        strings.Replace(good, `"document": "`, `"document": 1, "document_": "`, 1),
		"registration a string":    strings.Replace(good, member, fmt.Sprintf(`"registration": "%d"`, f.PolicyEntry), 1),
		"registration negative":    strings.Replace(good, member, `"registration": -1`, 1),
		"registration fractional":  strings.Replace(good, member, `"registration": 10.5`, 1),
		"registration missing":     strings.Replace(good, member, `"registration_": 10`, 1),
		"document missing":         strings.Replace(good, `"document"`, `"Document"`, 1),
		"registration null":        strings.Replace(good, member, `"registration": null`, 1),
		"policy an array":          strings.Replace(good, `"policy": {`+"\n    \"document\"", `"policy": [], "x": {`+"\n    \"document\"", 1),
		"policy member duplicated": strings.Replace(good, member, member+", "+member, 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if doc == good {
				t.Fatal("the change did not apply")
			}
			code, out, errOut := verify(t, []byte(doc))
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "lineage-verify-bundle: ") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

// TestCheckClaimMembers: the counts are JSON integers, the artifact a node id, asOf
// null or an RFC 3339 time; anything else fails class claim.
func TestCheckClaimMembers(t *testing.T) {
	set := func(name string, v any) func(t *testing.T, f *tb.Fixture) []string {
		return func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim[name] = v
			return nil
		}
	}
	var cases []testCase
	for _, name := range []string{"origins", "posts", "violations", "notices"} {
		for label, v := range map[string]any{
			"true": true, "a float": json.Number("118.0"), "an exponent": json.Number("1e2"), "a string": "1",
			"negative": -1, "null": nil, "too large": json.Number("18446744073709551616"),
		} {
			cases = append(cases, testCase{name: name + " " + label, build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
				f.Doc.Claim["counts"].(map[string]any)[name] = v
				return nil
			}, line: at("NOT PROVEN: claim at claim: claim.counts." + name + " is not a non-negative integer")})
		}
	}
	// The same in a complete bundle, where the counts are proven.
	cases = append(cases,
		testCase{name: "complete, posts a float", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["counts"].(map[string]any)["posts"] = json.Number("3.0")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.counts.posts is not a non-negative integer")},
		testCase{name: "complete, violations true", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["counts"].(map[string]any)["violations"] = true
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.counts.violations is not a non-negative integer")},
	)
	notID := "NOT PROVEN: claim at claim: claim.artifact "
	for label, v := range map[string]string{
		"of an unknown prefix":    "dataset:1",
		"of no prefix":            "model1",
		"of an empty body":        "model:",
		"too long":                "model:" + strings.Repeat("m", 201),
		"with a space":            "model:1 ",
		"with a newline":          "model:1\nPROVEN: forged",
		"with a non-ASCII letter": "model:é",
		"in upper case":           "Model:1",
	} {
		cases = append(cases, testCase{name: "artifact " + label, build: tb.BuildCheck, change: set("artifact", v), line: at(notID)})
	}
	cases = append(cases,
		testCase{name: "artifact a number", build: tb.BuildCheck, change: set("artifact", 1), line: at("NOT PROVEN: claim at claim: claim.artifact is not a string")},
		testCase{name: "artifact of 200 characters", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["artifact"] = "model:" + strings.Repeat("m", 200)
			f.Doc.Claim["findings"] = []any{}
			return nil
		}, line: at(`PROVEN: the 0 findings listed about artifact "model:mmm`)},
		testCase{name: "artifact a node id of its own", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["artifact"] = "ds:a.b_c:d@e/f+g=h-i"
			f.Doc.Claim["findings"] = []any{}
			return nil
		}, line: at(`PROVEN: the 0 findings listed about artifact "ds:a.b_c:d@e/f+g=h-i"`)},
	)
	for label, v := range map[string]any{
		"a date":          "2024-06-01",
		"without a zone":  "2024-06-01T00:00:00",
		"with a space":    "2024-06-01 00:00:00Z",
		"a number":        1717200000,
		"true":            true,
		"with a newline":  "2024-06-01T00:00:00Z\nPROVEN: forged",
		"an empty string": "",
	} {
		cases = append(cases, testCase{name: "asOf " + label, build: tb.BuildCheck, change: set("asOf", v), line: at("NOT PROVEN: claim at claim: claim.asOf ")})
	}
	cases = append(cases,
		testCase{name: "asOf with a zone offset", build: tb.BuildCheck, change: set("asOf", "2024-06-01T02:00:00.5+02:00"),
			line: at("PROVEN: "), output: []string{`as of: "2024-06-01T02:00:00.5+02:00"`}},
		testCase{name: "asOf missing", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			delete(f.Doc.Claim, "asOf")
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.asOf is missing")},
		testCase{name: "the artifact checked before asOf", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["artifact"], f.Doc.Claim["asOf"] = "dataset:1", "never"
			return nil
		}, line: at(notID)},
		testCase{name: "asOf checked before the counts", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["asOf"] = "never"
			f.Doc.Claim["counts"].(map[string]any)["posts"] = true
			return nil
		}, line: at("NOT PROVEN: claim at claim: claim.asOf ")},
	)
	runCases(t, cases)
}

// TestOutcomeStatedOrProven: a check claim not complete never calls its counts or
// outcome proven; a complete one says they are proven structurally.
func TestOutcomeStatedOrProven(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(tb.Scenario) *tb.Fixture
		want  []string
		not   []string
	}{
		{"not complete", tb.BuildCheck,
			[]string{"the counts and the outcome (fails: 1 violations, 1 notices) are the operator's statement, not proven (a complete bundle proves them)",
				"counts (the operator's statement, not proven): "},
			[]string{"proven structurally", `PROVEN: artifact "model:1" fails`}},
		{"complete", tb.BuildComplete,
			[]string{`PROVEN: artifact "model:1" fails policy`, "its counts proven structurally", "counts (proven structurally): 3 origins, 3 posts, 2 violations, 2 notices"},
			[]string{"operator's statement"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := verify(t, c.build(tb.Scenario{}).Doc.JSON())
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			first, _, _ := strings.Cut(out, "\n")
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.not {
				if strings.Contains(out, w) {
					t.Errorf("output holds %q:\n%s", w, out)
				}
			}
			if !strings.Contains(first, "(fails") && !strings.Contains(first, " fails ") {
				t.Errorf("the first line does not name the outcome: %s", first)
			}
		})
	}
}
