package testbundle

import (
	"crypto/sha256"
	"math/bits"
)

// This file computes RFC 9162 (§2.1) trees from scratch, independently of the
// library the verifier uses.

// LeafHash is H(0x00 || data).
func LeafHash(data []byte) []byte {
	h := sha256.Sum256(append([]byte{0x00}, data...))
	return h[:]
}

func nodeHash(left, right []byte) []byte {
	buf := append([]byte{0x01}, left...)
	h := sha256.Sum256(append(buf, right...))
	return h[:]
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// Root is MTH over leaf hashes (at least one).
func Root(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return nodeHash(Root(leaves[:k]), Root(leaves[k:]))
}

// Path is PATH(m, D[n]), the inclusion proof of leaf m.
func Path(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(Path(m, leaves[:k]), Root(leaves[k:]))
	}
	return append(Path(m-k, leaves[k:]), Root(leaves[:k]))
}

// Consistency is PROOF(m, D[n]), the consistency proof from the tree of the first m
// leaves (0 < m <= n).
func Consistency(m int, leaves [][]byte) [][]byte {
	return subproof(m, leaves, true)
}

func subproof(m int, leaves [][]byte, whole bool) [][]byte {
	n := len(leaves)
	if m == n {
		if whole {
			return nil
		}
		return [][]byte{Root(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], whole), Root(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), Root(leaves[:k]))
}
