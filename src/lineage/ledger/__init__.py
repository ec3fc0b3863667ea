"""The ledger: appending signed statements to the log with checkpoints, the signer registry
replayed from the log, the graph projection, verification, copying and erasure.

Imports :mod:`lineage.store`, :mod:`lineage.model` and :mod:`lineage.crypto`.
"""
