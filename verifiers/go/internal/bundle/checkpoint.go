package bundle

import (
	"crypto/sha256"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointBytes bounds a checkpoint note: a tlog-checkpoint is a few lines.
const MaxCheckpointBytes = 64 * 1024

// openCheckpoint verifies a signed note under the log key and parses its body as a
// tlog-checkpoint of the given origin.
func openCheckpoint(text []byte, key *logKey, origin string) (*log.Checkpoint, error) {
	if len(text) > MaxCheckpointBytes {
		return nil, fmt.Errorf("the note is larger than %d bytes", MaxCheckpointBytes)
	}
	n, err := note.Open(text, note.VerifierList(key.verifier))
	if err != nil {
		return nil, fmt.Errorf("the note does not verify under the log key: %v", err)
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal([]byte(n.Text)); err != nil {
		return nil, fmt.Errorf("malformed body: %v", err)
	}
	if c.Origin != origin {
		return nil, fmt.Errorf("its origin %s is not log.origin %s", show(c.Origin), show(origin))
	}
	if len(c.Hash) != sha256.Size {
		return nil, fmt.Errorf("malformed body: the root hash has %d bytes, not %d", len(c.Hash), sha256.Size)
	}
	return &c, nil
}

// checkCheckpoint is check 2.
func checkCheckpoint(b *Bundle, key *logKey) (*log.Checkpoint, *Failure) {
	c, err := openCheckpoint([]byte(b.Log.Checkpoint), key, b.Log.Origin)
	if err != nil {
		return nil, atLog(ClassCheckpoint, "%v", err)
	}
	return c, nil
}
