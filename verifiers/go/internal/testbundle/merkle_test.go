package testbundle

import (
	"crypto/sha256"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// The test helper's trees agree with the library the verifier uses.
func TestTreesAgree(t *testing.T) {
	var leaves [][]byte
	for n := 1; n <= 33; n++ {
		leaf := sha256.Sum256([]byte{byte(n)})
		leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(leaf[:]))
		root := Root(leaves)
		for m := 0; m < n; m++ {
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(m), uint64(n), leaves[m], Path(m, leaves), root); err != nil {
				t.Fatalf("inclusion %d/%d: %v", m, n, err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(m+1), uint64(n), Consistency(m+1, leaves), Root(leaves[:m+1]), root); err != nil {
				t.Fatalf("consistency %d/%d: %v", m+1, n, err)
			}
		}
	}
}
