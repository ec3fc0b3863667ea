"""Getting lineage in: the pipeline API, JSON Lines events, the background appender and
the readers of JSON Lines input."""
