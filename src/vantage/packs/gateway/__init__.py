"""The gateway pack: an LLM chat gateway with specialists, streaming, usage and cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantage.core.packs import lazy_pack

if TYPE_CHECKING:
    from vantage.core.packs import Pack

    PACK: Pack

# Read by the command line's help without building the pack.
TITLE = "LLM gateway"

__getattr__ = lazy_pack(__name__)
