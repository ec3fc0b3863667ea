"""Helpers shared by the test suite: stores, ledgers, the CLI runner, fixtures' data.

Test modules import their helpers from here, never from one another or from
``conftest``: see ``tests/unit/test_test_layout.py``.
"""
