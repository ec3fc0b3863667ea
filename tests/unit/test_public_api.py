"""The supported API is what ``lineage`` exports: each name resolves, and the surface a
pipeline, an auditor and a privacy team use is there."""

from __future__ import annotations

from importlib.metadata import version

import lineage

SURFACE = {
    "Lineage",
    "Ledger",
    "KeyDirectory",
    "open_store",
    "verify_ledger",
    "Trace",
    "path",
    "impact",
    "show",
    "remediation_plan",
    "resolve",
    "check",
    "read_policy",
    "register_policy",
    "erase_author",
    "receipts",
    "receipt_by_id",
    "path_bundle",
    "check_bundle",
    "receipts_bundle",
    "read_bundle",
    "verify_bundle",
    "copy_ledger",
    "ingest_events",
    "LineageError",
    "InputError",
    "VerificationError",
    "__version__",
}


def test_every_exported_name_resolves_and_the_surface_is_there() -> None:
    assert set(lineage.__all__) >= SURFACE
    assert len(set(lineage.__all__)) == len(lineage.__all__)
    for name in lineage.__all__:
        assert getattr(lineage, name) is not None, name


def test_the_error_tree_has_one_root() -> None:
    errors = [getattr(lineage, n) for n in lineage.__all__ if n.endswith("Error")]
    assert len(errors) >= 10
    assert all(issubclass(e, lineage.LineageError) for e in errors)


def test_the_version_is_the_installed_distributions() -> None:
    assert lineage.__version__ == version("lineage")
