"""The trading pack: live trading observability (market, strategy, execution, system)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantage.core.packs import lazy_pack

if TYPE_CHECKING:
    from vantage.core.packs import Pack

    PACK: Pack

__getattr__ = lazy_pack(__name__)
