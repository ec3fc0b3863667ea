"""RFC 9162 Merkle trees: hashing, node addressing, proof building and verification."""
