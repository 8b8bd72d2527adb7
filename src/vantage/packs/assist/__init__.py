"""The assist pack: validation and safe execution of AI-written SQL, learning memory, ML
monitoring and similarity search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantage.core.packs import lazy_pack

if TYPE_CHECKING:
    from vantage.core.packs import Pack

    PACK: Pack

# Read by the command line's help without building the pack.
TITLE = "Assist"

__getattr__ = lazy_pack(__name__)
