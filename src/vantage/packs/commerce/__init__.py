"""Commerce: sales analytics (dashboard, revenue, customers, products, cohorts, RFM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantage.core.packs import lazy_pack

if TYPE_CHECKING:
    from vantage.core.packs import Pack

    PACK: Pack

# Read by the command line's help without building the pack.
TITLE = "Commerce"

__getattr__ = lazy_pack(__name__)
