package bundle

import (
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// checkInclusion is check 7: the entry's bytes are leaf index of the checkpoint's tree.
func checkInclusion(e Entry, data []byte, cp *log.Checkpoint) *Failure {
	hashes, err := decodeHashes(e.Inclusion)
	if err != nil {
		return atEntry(ClassInclusion, e.Index, "inclusion: %v", err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(data)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.Index, cp.Size, leaf, hashes, cp.Hash); err != nil {
		return atEntry(ClassInclusion, e.Index, "the proof does not lead to the root of the checkpoint of size %d: %s", cp.Size, proofError(err))
	}
	return nil
}
