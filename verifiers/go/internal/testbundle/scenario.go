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
	Policy      *DocPolicy      `json:"policy,omitempty"`
	Batches     []DocBatch      `json:"batches,omitempty"`
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

// DocBatch is one of "batches": every item of an entry's batch, in order.
type DocBatch struct {
	Entry uint64   `json:"entry"`
	Items []string `json:"items"`
}

// DocConsistency is the "consistency" member.
type DocConsistency struct {
	Checkpoint string   `json:"checkpoint"`
	Hashes     []string `json:"hashes"`
}

// DocPolicy is the "policy" member of a check bundle.
type DocPolicy struct {
	Document     string `json:"document"`
	Registration uint64 `json:"registration"`
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
	RequestTag       string   // the leaf tag of BuildReceipts' Request/v2 batch (default: RequestItemTag)
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
	inBundle             []uint64          // the log indexes of the bundle's entries
	BatchOf              map[uint64]*Batch // the batch of each batch statement, by log index

	// BuildReceipts: a Request/v2 batch and the Erasure statements answering it.
	RequestEntry        uint64
	RequestBatch        *Batch
	ErasureEntry        uint64 // answers item 2 of RequestEntry
	ErasureNoItem       uint64 // answers RequestEntry, naming no item
	ErasureOtherItem    uint64 // answers item 3 of RequestEntry
	ErasureOtherRequest uint64 // answers item 2 of IngestEntry

	// BuildCheck: a second ingest batch (post:2 reaches model:1, post:3 is dropped)
	// and the policy's registration.
	SecondEntry    uint64
	SecondBatch    *Batch
	PolicyEntry    uint64
	PolicyDocument []byte
	PolicySHA256   string

	// BuildComplete: a Lineage/v1 entry (post:4 reaches shard:1 through record:4) and
	// a Request/v1 entry (an objection of subject:4, a deletion of post:4).
	V1Entry        uint64
	RequestV1Entry uint64
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
	f := &Fixture{Admin: NewKey("admin"), Ingest: NewKey("ingest"), Train: NewKey("train"), BatchOf: map[uint64]*Batch{}}
	l := NewLog(origin, f.Admin)
	f.Log = l
	add := f.Add
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
	f.AddBatch(other, Sign(Statement(LineageV2, "ingest", "2024-01-15T00:00:00Z", other.Predicate()), f.Ingest), false)
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
	f.IngestEntry = f.AddBatch(f.IngestBatch, Sign(Statement(LineageV2, "ingest", "2024-02-01T00:00:00Z", f.IngestBatch.Predicate()), f.Ingest), true)
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
	f.TrainEntry = f.AddBatch(f.TrainBatch, Sign(Statement(LineageV2, "train", "2024-02-02T00:00:00Z", f.TrainBatch.Predicate()), f.Train), true)
	f.AddBatch(other, Sign(Statement(LineageV2, "ingest", "2024-02-03T00:00:00Z", other.Predicate()), f.Ingest), false)

	f.Doc = &Doc{
		MediaType: "application/vnd.lineage.bundle+json",
		Version:   1,
		Claim:     map[string]any{"kind": "path", "post": "post:1", "artifact": "model:1", "text": "post:1 reaches model:1"},
		Log:       DocLog{Origin: origin, VerifierKey: l.VKey},
	}
	f.Doc.Items = []DocItem{
		Disclose(f.IngestEntry, f.IngestBatch, 0), // the post's node
		Disclose(f.IngestEntry, f.IngestBatch, 4), // DERIVED_FROM record:1 post:1
		Disclose(f.IngestEntry, f.IngestBatch, 5), // PACKED_INTO record:1 shard:1
		Disclose(f.TrainEntry, f.TrainBatch, 2),   // PART_OF shard:1 dataset:1
		Disclose(f.TrainEntry, f.TrainBatch, 3),   // TRAINED_ON model:1 dataset:1
	}
	f.Seal()
	return f
}

// Add appends an entry to the log, in the bundle if disclose, and returns its index.
// Seal then makes the bundle's checkpoint and entries.
func (f *Fixture) Add(entry []byte, disclose bool) uint64 {
	i := f.Log.Append(entry)
	if disclose {
		f.inBundle = append(f.inBundle, i)
	}
	return i
}

// AddBatch appends the entry of a batch statement committing to b, as Add does.
func (f *Fixture) AddBatch(b *Batch, entry []byte, disclose bool) uint64 {
	i := f.Add(entry, disclose)
	f.BatchOf[i] = b
	return i
}

// DiscloseAll puts every entry of the log in the bundle (Seal then writes them).
func (f *Fixture) DiscloseAll() {
	f.inBundle = f.inBundle[:0]
	for i := range f.Log.Leaves {
		f.inBundle = append(f.inBundle, uint64(i))
	}
}

// Seal makes the bundle's checkpoint (of the whole log) and its entries with their
// inclusion proofs.
func (f *Fixture) Seal() {
	l := f.Log
	size := uint64(len(l.Leaves))
	f.Doc.Log.Checkpoint = l.Checkpoint(size)
	f.Doc.Entries = nil
	for _, i := range f.inBundle {
		f.Doc.Entries = append(f.Doc.Entries, DocEntry{
			Index: i, Entry: base64.StdEncoding.EncodeToString(l.Leaves[i]), Inclusion: l.Inclusion(i, size),
		})
	}
}

// Disclose is the bundle item of position pos of a batch committed to by entry.
func Disclose(entry uint64, b *Batch, pos int) DocItem {
	return DocItem{Entry: entry, Position: pos, Item: string(b.Items[pos]), Path: b.Path(pos)}
}

// FullBatch is the element of "batches" holding the whole batch of entry.
func (f *Fixture) FullBatch(entry uint64) DocBatch {
	b := f.BatchOf[entry]
	items := make([]string, len(b.Items))
	for i, item := range b.Items {
		items[i] = string(item)
	}
	return DocBatch{Entry: entry, Items: items}
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
