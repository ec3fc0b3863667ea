package testbundle

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// BuildReceipts makes the log of Build with a Request/v2 batch of four requests
// (0 objection of subject:1, 1 deletion of post:1, 2 erasure of subject:1, 3 erasure
// of subject:2) and Erasure statements, and a good receipts bundle: subject:1's
// objection (not answered) and erasure (answered by ErasureEntry). Its items are
// requests 0, 1 and 2.
func BuildReceipts(s Scenario) *Fixture {
	if s.RequestTag == "" {
		s.RequestTag = RequestItemTag
	}
	f := Build(s)
	f.RequestBatch = NewRequestBatchTagged([][]string{
		{"objection", "subject:1", "2024-03-01T00:00:00Z"},
		{"deletion", "post:1", "2024-03-01T01:00:00Z"},
		{"erasure", "subject:1", "2024-03-02T00:00:00Z"},
		{"erasure", "subject:2", "2024-03-02T00:00:00Z"},
	}, s.RequestTag)
	f.RequestEntry = f.AddBatch(f.RequestBatch, Sign(Statement(RequestV2, AdminStep, "2024-03-03T00:00:00Z", f.RequestBatch.Predicate()), f.Admin), true)
	erasure := func(at string, request uint64, item int) uint64 {
		p := map[string]any{"erasures": 1, "request": request}
		if item >= 0 {
			p["item"] = item
		}
		return f.Add(Sign(Statement(Erasure, AdminStep, at, p), f.Admin), true)
	}
	f.ErasureEntry = erasure("2024-03-04T00:00:00Z", f.RequestEntry, 2)
	f.ErasureNoItem = erasure("2024-03-04T00:00:01Z", f.RequestEntry, -1)
	f.ErasureOtherItem = erasure("2024-03-04T00:00:02Z", f.RequestEntry, 3)
	f.ErasureOtherRequest = erasure("2024-03-04T00:00:03Z", f.IngestEntry, 2)
	f.Doc.Claim = map[string]any{
		"kind":   "receipts",
		"target": "subject:1",
		"receipts": []any{
			Receipt(f.RequestEntry, 0, nil),
			Receipt(f.RequestEntry, 2, &f.ErasureEntry),
		},
		"text": "subject:1's requests were recorded and the erasure answered",
	}
	f.Doc.Items = []DocItem{
		Disclose(f.RequestEntry, f.RequestBatch, 0),
		Disclose(f.RequestEntry, f.RequestBatch, 1),
		Disclose(f.RequestEntry, f.RequestBatch, 2),
	}
	f.Seal()
	return f
}

// Receipt is one element of a receipts claim's "receipts".
func Receipt(entry uint64, position int, answeredBy *uint64) map[string]any {
	r := map[string]any{"entry": entry, "position": position, "answeredBy": nil}
	if answeredBy != nil {
		r["answeredBy"] = *answeredBy
	}
	return r
}

// PolicyDocument is the policy file of BuildCheck.
const PolicyDocument = "id = \"public-content-training\"\nversion = \"2024.08\"\n\n[[rules]]\nid = \"no-objected-content\"\n"

// BuildCheck makes the log of Build with a second ingest batch (post:2, authored by
// subject:2, reaches model:1 through record:2 and shard:1; post:3's record:3 is
// dropped) and a PolicyRegistration, and a good check bundle of items, not complete
// (it lacks entries and carries no batch in full: BuildComplete makes a complete
// one): model:1 fails the policy with one violation (post:2 via record:2) and one
// notice (unknown-origin of record:1: no origin, the record's path to model:1 shown);
// two posts reach model:1.
func BuildCheck(s Scenario) *Fixture {
	f := Build(s)
	f.SecondBatch = NewBatch(
		[][]any{
			{"Post", "post:2", map[string]any{"platform": "forum", "created_at": "2024-02-10T00:00:00Z"}},
			{"Subject", "subject:2", map[string]any{}},
		},
		[][]string{
			{"AUTHORED", "subject:2", "post:2"},
			{"DERIVED_FROM", "record:2", "post:2"},
			{"PACKED_INTO", "record:2", "shard:1"},
			{"DERIVED_FROM", "record:3", "post:3"},
			{"DROPPED", "record:3", "duplicate"},
		})
	f.SecondEntry = f.AddBatch(f.SecondBatch, Sign(Statement(LineageV2, "ingest", "2024-03-01T00:00:00Z", f.SecondBatch.Predicate()), f.Ingest), true)
	f.PolicyDocument = []byte(PolicyDocument)
	sum := sha256.Sum256(f.PolicyDocument)
	f.PolicySHA256 = hex.EncodeToString(sum[:])
	f.PolicyEntry = f.Add(Sign(Statement(PolicyRegistration, AdminStep, "2024-03-05T00:00:00Z", map[string]any{
		"policy": map[string]any{"id": "public-content-training", "version": "2024.08", "sha256": f.PolicySHA256, "rules": []any{}},
	}), f.Admin), true)
	f.Doc.Claim = map[string]any{
		"kind":     "check",
		"artifact": "model:1",
		"asOf":     nil,
		"policy":   map[string]any{"id": "public-content-training", "version": "2024.08", "sha256": f.PolicySHA256},
		"passed":   false,
		"complete": false,
		"counts":   map[string]any{"origins": 2, "posts": 2, "violations": 1, "notices": 1},
		"findings": []any{
			map[string]any{"rule": "no-objected-content", "level": "violation", "origin": "post:2", "record": "record:2", "shard": "shard:1"},
			map[string]any{"rule": "unknown-origin", "level": "notice", "origin": nil, "record": "record:1", "shard": "shard:1"},
		},
		"text": "model:1 checked against public-content-training 2024.08",
	}
	f.Doc.Items = append(f.Doc.Items,
		Disclose(f.SecondEntry, f.SecondBatch, 0), // the node of post:2
		Disclose(f.SecondEntry, f.SecondBatch, 1), // the node of subject:2
		Disclose(f.SecondEntry, f.SecondBatch, 2), // AUTHORED subject:2 post:2
		Disclose(f.SecondEntry, f.SecondBatch, 3), // DERIVED_FROM record:2 post:2
		Disclose(f.SecondEntry, f.SecondBatch, 4), // PACKED_INTO record:2 shard:1
		Disclose(f.SecondEntry, f.SecondBatch, 5), // DERIVED_FROM record:3 post:3
		Disclose(f.SecondEntry, f.SecondBatch, 6), // DROPPED record:3 duplicate
	)
	f.Doc.Policy = &DocPolicy{Document: base64.StdEncoding.EncodeToString(f.PolicyDocument), Registration: f.PolicyEntry}
	f.Seal()
	return f
}

// BuildComplete makes the log of BuildCheck with a Lineage/v1 entry (post:4, authored
// by subject:4, reaches shard:1 through record:4: its payload's edges are part of the
// path) and a Request/v1 entry (0 objection of subject:4, 1 deletion of post:4), and a
// complete check bundle as lineage writes one: every entry of the log, each batch
// statement's batch in full in "batches" and no "items". model:1 fails the policy
// with two violations (post:2 via record:2, post:4 via record:4, the Lineage/v1 path)
// and two notices (unknown-origin of record:1, incomplete-lineage of dataset:9, which
// no edge shows); three posts reach model:1 (post:1, post:2, post:4).
func BuildComplete(s Scenario) *Fixture {
	f := BuildCheck(s)
	f.V1Entry = f.Add(Sign(Statement(LineageV1, "ingest", "2024-03-06T00:00:00Z", map[string]any{
		"nodes": []any{
			[]any{"Post", "post:4", map[string]any{"platform": "forum"}},
			[]any{"Record", "record:4", map[string]any{}},
		},
		"edges": []any{
			[]any{"AUTHORED", "subject:4", "post:4"},
			[]any{"DERIVED_FROM", "record:4", "post:4"},
			[]any{"PACKED_INTO", "record:4", "shard:1"},
		},
	}), f.Ingest), true)
	f.RequestV1Entry = f.Add(Sign(Statement(RequestV1, AdminStep, "2024-03-07T00:00:00Z", map[string]any{
		"requests": []any{
			[]any{"objection", "subject:4", "2024-03-06T12:00:00Z"},
			[]any{"deletion", "post:4", "2024-03-06T13:00:00Z"},
		},
	}), f.Admin), true)
	f.RequestBatch = NewRequestBatch([][]string{
		{"objection", "subject:2", "2024-03-08T00:00:00Z"},
		{"erasure", "subject:2", "2024-03-08T01:00:00Z"},
	})
	f.RequestEntry = f.AddBatch(f.RequestBatch, Sign(Statement(RequestV2, AdminStep, "2024-03-09T00:00:00Z", f.RequestBatch.Predicate()), f.Admin), true)
	f.DiscloseAll()
	f.Doc.Items = []DocItem{}
	f.Doc.Batches = nil
	for i := range f.Log.Leaves {
		if _, ok := f.BatchOf[uint64(i)]; ok {
			f.Doc.Batches = append(f.Doc.Batches, f.FullBatch(uint64(i)))
		}
	}
	f.Doc.Claim["complete"] = true
	f.Doc.Claim["counts"] = map[string]any{"origins": 3, "posts": 3, "violations": 2, "notices": 2}
	f.Doc.Claim["findings"] = []any{
		map[string]any{"rule": "no-objected-content", "level": "violation", "origin": "post:2", "record": "record:2", "shard": "shard:1"},
		map[string]any{"rule": "no-objected-content", "level": "violation", "origin": "post:4", "record": "record:4", "shard": "shard:1"},
		map[string]any{"rule": "unknown-origin", "level": "notice", "origin": nil, "record": "record:1", "shard": "shard:1"},
		map[string]any{"rule": "incomplete-lineage", "level": "notice", "origin": nil, "record": "dataset:9", "shard": nil},
	}
	f.Seal()
	return f
}
