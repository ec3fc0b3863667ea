package bundle

import (
	"bytes"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func sameTree(a, b *log.Checkpoint) bool {
	return a.Size == b.Size && bytes.Equal(a.Hash, b.Hash)
}

// checkConsistency is check 3: the bundle's older checkpoint, if any, is a checkpoint
// of the same log that the bundle's tree extends, and a checkpoint given with --since
// is that older checkpoint or the bundle's own. It returns the older checkpoint.
func checkConsistency(b *Bundle, opts Options, key *logKey, current *log.Checkpoint) (*log.Checkpoint, *Failure) {
	var older *log.Checkpoint
	if b.Consistency != nil {
		c, err := openCheckpoint([]byte(b.Consistency.Checkpoint), key, b.Log.Origin)
		if err != nil {
			return nil, atLog(ClassConsistency, "consistency.checkpoint: %v", err)
		}
		if c.Size > current.Size {
			return nil, atLog(ClassConsistency, "the older checkpoint's size %d is larger than the checkpoint's %d", c.Size, current.Size)
		}
		hashes, err := decodeHashes(b.Consistency.Hashes)
		if err != nil {
			return nil, atLog(ClassConsistency, "consistency.hashes: %v", err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, c.Size, current.Size, hashes, c.Hash, current.Hash); err != nil {
			return nil, atLog(ClassConsistency, "the proof from size %d to size %d does not verify: %s", c.Size, current.Size, proofError(err))
		}
		older = c
	}
	if opts.Since == nil {
		return older, nil
	}
	since, err := openCheckpoint(opts.Since, key, b.Log.Origin)
	if err != nil {
		return nil, atLog(ClassConsistency, "the --since checkpoint: %v", err)
	}
	switch {
	case sameTree(since, current):
		return older, nil
	case older == nil:
		return nil, atLog(ClassConsistency, "the bundle has no consistency proof from the --since checkpoint (size %d) to its checkpoint (size %d)", since.Size, current.Size)
	case !sameTree(since, older):
		return nil, atLog(ClassConsistency, "the bundle's older checkpoint (size %d) is not the --since checkpoint (size %d)", older.Size, since.Size)
	}
	return older, nil
}
