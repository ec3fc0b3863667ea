"""Evidence that leaves the system: self-contained bundles (``docs/bundle.md``) and their
offline verification."""
