"""The embedded store: one SQLite file (log, projection, ancestry index, key tables)."""
