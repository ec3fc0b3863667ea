"""The lineage graph: node and edge kinds, the Lineage predicate, projection and queries."""
