"""The delivery pack: engineering delivery from GitHub and git (DORA, pull requests).

``PACK`` is built on first access (the ``vantage.packs`` entry point reads it), so importing
one of the pack's modules does not load its routes and CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vantage.core.packs import Pack

    PACK: Pack


def __getattr__(name: str) -> Any:
    if name == "PACK":
        from vantage.packs.delivery.pack import default_pack

        return default_pack()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
