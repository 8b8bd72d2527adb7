"""Shared classification of SDK and transport failures, and ``Retry-After`` hints."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import ModuleType

import httpx2

from vantage.core.errors import UpstreamError
from vantage.packs.gateway.providers.base import ProviderError, kind_for_status

MAX_RETRY_AFTER_SECONDS = 60.0
# Upstreams echo credentials in their errors ("Incorrect API key provided: sk-proj-..."):
# known key prefixes, bearer tokens and any long unbroken token are masked before logging.
_SECRET_LIKE = re.compile(
    r"(?i)\b(?:sk|pk|rk|vk|ghp|gho|xox[abprs]|AIza)[-_][A-Za-z0-9_-]{6,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|\b[A-Za-z0-9_-]{32,}\b"
)


def redact(text: str) -> str:
    """``text`` with every API-key-like substring masked (its first four characters kept)."""
    return _SECRET_LIKE.sub(lambda match: match.group(0)[:4] + "****", text)


def upstream_problem(error: ProviderError) -> UpstreamError:
    """What a client learns of an upstream failure: which provider, its status, never its text."""
    return UpstreamError(
        "The provider could not answer this request.",
        extra={"provider": error.provider, "upstream_status": error.status},
    )


CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=200)


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """Seconds the upstream asked us to wait (``retry-after-ms``, seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return min(max(float(millis) / 1000, 0.0), MAX_RETRY_AFTER_SECONDS)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delay = (moment - datetime.now(UTC)).total_seconds()
    return min(max(delay, 0.0), MAX_RETRY_AFTER_SECONDS)


def fast_http_client(
    aiohttp_client: Callable[..., httpx2.AsyncClient], timeout: httpx2.Timeout
) -> httpx2.AsyncClient | None:
    """The SDK's aiohttp-backed client (about a third less CPU per call than the default).

    None when the SDK's ``aiohttp`` extra is missing: the SDK then uses its default client.
    """
    try:
        return aiohttp_client(timeout=timeout, limits=CONNECTION_LIMITS)
    except RuntimeError:
        return None


def sdk_error(
    error: Exception, sdk: ModuleType, *, retry_later: frozenset[int] = frozenset()
) -> ProviderError:
    """The failure an official SDK (``openai`` or ``anthropic``: one error hierarchy) raised.

    ``retry_later`` lists statuses the upstream uses for "over capacity" besides 429.
    """
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, sdk.APIStatusError):
        status = error.status_code
        return ProviderError(
            "rate_limited" if status in retry_later else kind_for_status(status),
            f"{status}: {error.message}"[:500],
            status=status,
            retry_after=retry_after_of(error.response.headers),
        )
    if isinstance(error, sdk.APITimeoutError):
        return ProviderError("timeout", "the upstream did not answer in time")
    if isinstance(error, sdk.APIConnectionError):
        return ProviderError("connection", f"cannot reach the upstream: {error}"[:500])
    if isinstance(error, sdk.APIError):
        # An `error` event inside a stream, or a body the SDK could not read.
        return ProviderError("server", f"upstream error: {error.message}"[:500])
    return transport_error(error)


def transport_error(error: BaseException) -> ProviderError:
    """A failure below the SDK (socket, TLS, timeouts while reading a stream)."""
    if isinstance(error, httpx2.TimeoutException | TimeoutError):
        return ProviderError("timeout", "the upstream stopped answering in time")
    if isinstance(error, httpx2.TransportError | OSError):
        return ProviderError("connection", f"the upstream connection failed: {error}"[:500])
    return ProviderError("server", f"unexpected upstream failure: {type(error).__name__}")
