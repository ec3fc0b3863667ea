package testbundle

import (
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// Log is an append-only log of entries with signed-note checkpoints.
type Log struct {
	Origin string
	Admin  Key
	VKey   string
	signer note.Signer
	Leaves [][]byte // the entries' bytes
}

// NewLog makes an empty log whose log (and admin) key is admin.
func NewLog(origin string, admin Key) *Log {
	signer, vkey := admin.NoteKeys(origin)
	return &Log{Origin: origin, Admin: admin, VKey: vkey, signer: signer}
}

// Append adds an entry and returns its index.
func (l *Log) Append(entry []byte) uint64 {
	l.Leaves = append(l.Leaves, entry)
	return uint64(len(l.Leaves) - 1)
}

func (l *Log) hashes(size uint64) [][]byte {
	out := make([][]byte, size)
	for i := range out {
		out[i] = LeafHash(l.Leaves[i])
	}
	return out
}

// Checkpoint is the signed checkpoint of the tree of the first size entries.
func (l *Log) Checkpoint(size uint64) string {
	return SignCheckpoint(l.signer, l.Origin, size, Root(l.hashes(size)))
}

// SignCheckpoint signs a checkpoint body with any signer.
func SignCheckpoint(signer note.Signer, origin string, size uint64, root []byte) string {
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		panic(err)
	}
	return string(signed)
}

// Inclusion is the inclusion proof of entry index in the tree of size entries.
func (l *Log) Inclusion(index, size uint64) []string {
	return b64s(Path(int(index), l.hashes(size)))
}

// Consistency is the consistency proof from size old to size new.
func (l *Log) Consistency(old, size uint64) []string {
	return b64s(Consistency(int(old), l.hashes(size)))
}
