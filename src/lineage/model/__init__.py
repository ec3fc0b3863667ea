"""What the ledger talks about: RFC 3339 times, in-toto statements, the node and edge kinds
of the lineage graph, projection rows, requests, signers and pseudonymous identities.

Imports only :mod:`lineage.crypto` (and :mod:`lineage.errors`).
"""
