"""Gathers every table (core and installed packs) onto the shared metadata."""

from __future__ import annotations

import importlib

from vantage.core.packs import discover_packs

CORE_MODEL_MODULES = (
    "vantage.core.auth.models",
    "vantage.core.watermarks.models",
    "vantage.core.jobs.models",
    "vantage.core.lease.models",
    "vantage.core.idempotency.models",
)


def import_all_models() -> None:
    """Import the model modules of core and of every installed pack."""
    for module in CORE_MODEL_MODULES:
        importlib.import_module(module)
    for pack in discover_packs().values():
        pack.import_models()
