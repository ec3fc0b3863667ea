"""The ``lineage`` command-line interface: parsing, rendering and exit codes only."""
