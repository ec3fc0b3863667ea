package bundle

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
)

// MaxProofHashes bounds every inclusion, consistency and batch path: no tree of
// 2^64 leaves needs more.
const MaxProofHashes = 64

// decodeHashes is a proof: at most MaxProofHashes base64 SHA-256 hashes.
func decodeHashes(list []string) ([][]byte, error) {
	if len(list) > MaxProofHashes {
		return nil, fmt.Errorf("%d hashes, more than the %d any proof needs", len(list), MaxProofHashes)
	}
	out := make([][]byte, len(list))
	for i, s := range list {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %v", i, err)
		}
		out[i] = h
	}
	return out, nil
}

// proofError describes an error of the merkle library on one line, roots in base64.
func proofError(err error) string {
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Sprintf("it leads to %s, not %s",
			base64.StdEncoding.EncodeToString(mismatch.CalculatedRoot),
			base64.StdEncoding.EncodeToString(mismatch.ExpectedRoot))
	}
	return oneLine(err.Error())
}
