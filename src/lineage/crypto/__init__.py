"""Cryptographic building blocks: RFC 8785 canonical JSON, DSSE envelopes, Ed25519 keys,
C2SP signed notes and checkpoints, batch signature verification, RFC 9162 Merkle trees.

The lowest layer: it imports nothing of lineage but :mod:`lineage.errors`.
"""
