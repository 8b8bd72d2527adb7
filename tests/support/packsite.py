"""Install the test pack the way a third-party distribution would: a dist-info with an entry point.

Put the returned directory on ``sys.path`` (in-process) or ``PYTHONPATH`` (subprocesses).
"""

from __future__ import annotations

from pathlib import Path


def write_testpack_site(directory: Path) -> Path:
    """A site directory whose metadata registers ``tests.support.testpack:PACK``."""
    site = directory / "site"
    dist_info = site / "vantage_testpack-9.9.9.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vantage-testpack\nVersion: 9.9.9\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[vantage.packs]\ntestpack = tests.support.testpack:PACK\n"
    )
    return site
