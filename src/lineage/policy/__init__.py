"""Policies as code: TOML documents of CEL rules, registered in the ledger, and checks of
an artifact's origins against them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def reference_policy_path() -> Path:
    """The reference policy pack for public-content training, as installed."""
    return Path(str(resources.files("lineage").joinpath("policies/public-content-training.toml")))
