// Package testbundle builds lineage evidence bundles from scratch for tests: keys,
// signed statements, a log with signed-note checkpoints, batches and their trees.
package testbundle

import (
	"encoding/base64"
	"encoding/json"
)

// Doc is a bundle document, as tests change it before encoding.
type Doc struct {
	MediaType   string          `json:"mediaType"`
	Version     int             `json:"version"`
	Claim       map[string]any  `json:"claim"`
	Log         DocLog          `json:"log"`
	Entries     []DocEntry      `json:"entries"`
	Items       []DocItem       `json:"items"`
	Consistency *DocConsistency `json:"consistency,omitempty"`
}

// DocLog is the "log" member.
type DocLog struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifierKey"`
	Checkpoint  string `json:"checkpoint"`
}

// DocEntry is one of "entries".
type DocEntry struct {
	Index     uint64   `json:"index"`
	Entry     string   `json:"entry"`
	Inclusion []string `json:"inclusion"`
}

// DocItem is one of "items".
type DocItem struct {
	Entry    uint64   `json:"entry"`
	Position int      `json:"position"`
	Item     string   `json:"item"`
	Path     []string `json:"path"`
}

// DocConsistency is the "consistency" member.
type DocConsistency struct {
	Checkpoint string   `json:"checkpoint"`
	Hashes     []string `json:"hashes"`
}

// JSON encodes the document.
func (d *Doc) JSON() []byte {
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// Scenario varies the log a fixture is built from; zero values give a good bundle.
type Scenario struct {
	IngestSteps      []string // steps of the ingest key (default: ingest)
	IngestValidFrom  string   // default 2024-01-01T00:00:00Z
	IngestValidUntil string   // default none
	RevokeIngestAt   string   // if set, the ingest key is revoked (entry after the registrations)
	RevokeBeforeReg  bool     // the revocation comes before the registration of the ingest key
}

// Fixture is a log and a good path bundle of post:1 reaching model:1.
type Fixture struct {
	Log                  *Log
	Doc                  *Doc
	Admin, Ingest, Train Key
	IngestEntry          uint64 // the Lineage/v2 statement of step ingest
	TrainEntry           uint64 // the Lineage/v2 statement of step train
	RevocationEntry      uint64
	OldSize              uint64 // the size of an older checkpoint
	IngestBatch          *Batch
	TrainBatch           *Batch
}

const origin = "lineage.local/testbundle"

// Build makes the log and the bundle.
func Build(s Scenario) *Fixture {
	if s.IngestSteps == nil {
		s.IngestSteps = []string{"ingest"}
	}
	if s.IngestValidFrom == "" {
		s.IngestValidFrom = "2024-01-01T00:00:00Z"
	}
	f := &Fixture{Admin: NewKey("admin"), Ingest: NewKey("ingest"), Train: NewKey("train")}
	l := NewLog(origin, f.Admin)
	f.Log = l
	var inBundle []uint64
	add := func(entry []byte, disclose bool) uint64 {
		i := l.Append(entry)
		if disclose {
			inBundle = append(inBundle, i)
		}
		return i
	}
	revoke := func() {
		if s.RevokeIngestAt != "" {
			f.RevocationEntry = add(Sign(Revocation(f.Ingest, s.RevokeIngestAt, "2024-01-01T00:00:03Z"), f.Admin), true)
		}
	}

	add(Sign(Registration(f.Admin, []string{AdminStep}, "0001-01-01T00:00:00Z", "", "2024-01-01T00:00:00Z"), f.Admin), true)
	if s.RevokeBeforeReg {
		revoke()
	}
	add(Sign(Registration(f.Ingest, s.IngestSteps, s.IngestValidFrom, s.IngestValidUntil, "2024-01-01T00:00:01Z"), f.Admin), true)
	add(Sign(Registration(f.Train, []string{"train"}, "2024-01-01T00:00:00Z", "", "2024-01-01T00:00:02Z"), f.Admin), true)
	if !s.RevokeBeforeReg {
		revoke()
	}
	other := NewBatch([][]any{{"Record", "record:0", map[string]any{}}}, nil)
	add(Sign(Statement(LineageV2, "ingest", "2024-01-15T00:00:00Z", other.Predicate()), f.Ingest), false)
	f.OldSize = uint64(len(l.Leaves))

	f.IngestBatch = NewBatch(
		[][]any{
			{"Post", "post:1", map[string]any{"platform": "forum", "created_at": "2024-01-10T00:00:00Z", "likes": 3}},
			{"Record", "record:1", map[string]any{}},
			{"Shard", "shard:1", map[string]any{}},
		},
		[][]string{
			{"AUTHORED", "subject:1", "post:1"},
			{"DERIVED_FROM", "record:1", "post:1"},
			{"PACKED_INTO", "record:1", "shard:1"},
			{"DROPPED", "record:9", "duplicate"},
		})
	f.IngestEntry = add(Sign(Statement(LineageV2, "ingest", "2024-02-01T00:00:00Z", f.IngestBatch.Predicate()), f.Ingest), true)
	f.TrainBatch = NewBatch(
		[][]any{
			{"Dataset", "dataset:1", map[string]any{}},
			{"Model", "model:1", map[string]any{}},
		},
		[][]string{
			{"PART_OF", "shard:1", "dataset:1"},
			{"TRAINED_ON", "model:1", "dataset:1"},
			{"FINETUNED_FROM", "model:2", "model:1"},
		})
	f.TrainEntry = add(Sign(Statement(LineageV2, "train", "2024-02-02T00:00:00Z", f.TrainBatch.Predicate()), f.Train), true)
	add(Sign(Statement(LineageV2, "ingest", "2024-02-03T00:00:00Z", other.Predicate()), f.Ingest), false)

	size := uint64(len(l.Leaves))
	d := &Doc{
		MediaType: "application/vnd.lineage.bundle+json",
		Version:   1,
		Claim:     map[string]any{"kind": "path", "post": "post:1", "artifact": "model:1", "text": "post:1 reaches model:1"},
		Log:       DocLog{Origin: origin, VerifierKey: l.VKey, Checkpoint: l.Checkpoint(size)},
	}
	for _, i := range inBundle {
		d.Entries = append(d.Entries, DocEntry{
			Index: i, Entry: base64.StdEncoding.EncodeToString(l.Leaves[i]), Inclusion: l.Inclusion(i, size),
		})
	}
	item := func(entry uint64, b *Batch, pos int) DocItem {
		return DocItem{Entry: entry, Position: pos, Item: string(b.Items[pos]), Path: b.Path(pos)}
	}
	d.Items = []DocItem{
		item(f.IngestEntry, f.IngestBatch, 0), // the post's node
		item(f.IngestEntry, f.IngestBatch, 4), // DERIVED_FROM record:1 post:1
		item(f.IngestEntry, f.IngestBatch, 5), // PACKED_INTO record:1 shard:1
		item(f.TrainEntry, f.TrainBatch, 2),   // PART_OF shard:1 dataset:1
		item(f.TrainEntry, f.TrainBatch, 3),   // TRAINED_ON model:1 dataset:1
	}
	f.Doc = d
	return f
}

// AddConsistency gives the bundle a consistency proof from the older checkpoint.
func (f *Fixture) AddConsistency() {
	size := uint64(len(f.Log.Leaves))
	f.Doc.Consistency = &DocConsistency{
		Checkpoint: f.Log.Checkpoint(f.OldSize),
		Hashes:     f.Log.Consistency(f.OldSize, size),
	}
}

// EntryPos is the position in Doc.Entries of log entry index.
func (f *Fixture) EntryPos(index uint64) int {
	for i, e := range f.Doc.Entries {
		if e.Index == index {
			return i
		}
	}
	panic("no such entry in the bundle")
}
