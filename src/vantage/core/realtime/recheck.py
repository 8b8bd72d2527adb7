"""Open streams keep proving their credential: one that stops working ends the stream.

A WebSocket or SSE connection is authenticated when it opens, but it may stay open for days.
Every ``recheck_seconds`` (half of ``VANTAGE_AUTH_CACHE_SECONDS``) its credential goes through the
hub's authenticator again, so a revoked key, a disabled user, an expired token, or a user
demoted below a subscribed channel's scope loses the stream within the credential cache's
lifetime. While the credential store cannot answer, the connection keeps its last principal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from vantage.core.auth.principal import Principal
from vantage.core.errors import Forbidden, Unauthorized, VantageError
from vantage.core.realtime.clients import Client
from vantage.core.realtime.hub import Hub

logger = structlog.get_logger("vantage.realtime")


def same_identity(first: Principal, second: Principal) -> bool:
    """Whether two principals are the same user or key of the same tenant."""
    return (first.kind, first.tenant_id, first.subject_id) == (
        second.kind,
        second.tenant_id,
        second.subject_id,
    )


async def current_principal(hub: Hub, client: Client, credential: str) -> Principal | None:
    """The principal ``credential`` names now, or None when it may no longer keep the stream."""
    try:
        principal = await hub.authenticator(credential)
    except Unauthorized:
        return None
    except VantageError:  # the credential store is unavailable: not the client's fault
        return client.principal
    if not same_identity(principal, client.principal):
        return None
    try:
        for channel in client.subscriptions:
            hub.authorize(principal, channel, "subscribe")
    except Forbidden:
        return None
    return principal


async def keep_checking(
    hub: Hub, client: Client, credential: Callable[[], str], refuse: Callable[[], None]
) -> None:
    """Re-check ``client``'s credential until it closes; ``refuse`` ends a refused stream."""
    while client.closing is None:
        await asyncio.sleep(hub.config.recheck_seconds)
        principal = await current_principal(hub, client, credential())
        if principal is None:
            logger.info("stream credential refused", transport=client.transport)
            refuse()
            return
        client.principal = principal
