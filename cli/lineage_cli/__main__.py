"""Run the ``lineage`` CLI with ``python -m lineage_cli``."""

from lineage_cli.main import main

main()
