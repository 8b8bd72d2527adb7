"""Which developer sent a request: the alias table first, else the trace's own identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.aidev.models import UNKNOWN
from vantage.packs.aidev.repository import traces as repository
from vantage.packs.aidev.traces.record import Identity


@dataclass(frozen=True, slots=True)
class Developer:
    """The developer a request is counted for, and which identity named them."""

    key: str
    source: str | None


def _resolve(identity: Identity, aliases: dict[str, str]) -> Developer:
    candidates = identity.candidates()
    for source, alias in candidates:
        if alias in aliases:
            return Developer(aliases[alias], f"{source}+alias")
    if candidates:
        source, alias = candidates[0]
        return Developer(alias, source)
    return Developer(UNKNOWN, None)


async def resolve_developers(
    session: AsyncSession, tenant_id: int, identities: Sequence[Identity]
) -> list[Developer]:
    """One developer per identity: the first alias with a mapping, else e-mail, user, key owner."""
    distinct = set(identities)
    wanted = {alias for identity in distinct for _, alias in identity.candidates()}
    aliases = await repository.aliases_for(session, tenant_id, wanted)
    resolved = {identity: _resolve(identity, aliases) for identity in distinct}
    return [resolved[identity] for identity in identities]
