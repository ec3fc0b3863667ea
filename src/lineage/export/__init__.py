"""Outputs that regulators and the ecosystem already read, computed from the ledger: the EU
AI Act training-content summary, Hugging Face dataset cards, W3C PROV and OpenLineage."""
