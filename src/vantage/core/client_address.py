"""The client's address: the TCP peer, or what trusted proxies say in ``X-Forwarded-For``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import HTTPConnection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN_CLIENT = "unknown"


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` is believed (``VANTAGE_FORWARDED_ALLOW_IPS``)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self._networks = tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` (a canonical IP string) is one of the trusted proxies."""
        parsed = _parse_ip(address)
        return parsed is not None and any(parsed in network for network in self._networks)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        parsed = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _hop_address(hop: str) -> str | None:
    """The canonical IP of one ``X-Forwarded-For`` entry; some proxies append a port."""
    text = hop.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    parsed = _parse_ip(text)
    return str(parsed) if parsed is not None else None


def forwarded_chain(header_values: Sequence[str]) -> list[str]:
    """Every hop of (possibly repeated) ``X-Forwarded-For`` headers, left to right."""
    return [hop.strip() for value in header_values for hop in value.split(",") if hop.strip()]


def resolve_client_ip(peer: str | None, chain: Sequence[str], trusted: TrustedProxies) -> str:
    """The peer, or when the peer is a trusted proxy, the right-most untrusted forwarded hop.

    Walking from the right means only entries appended by proxies we trust are believed: anything
    a client put in the header itself sits further left and is never reached.
    """
    if not peer:
        return UNKNOWN_CLIENT
    canonical_peer = _hop_address(peer)
    current = canonical_peer or peer
    if canonical_peer is None or not trusted.trusts(current):
        return current
    for hop in reversed(chain):
        address = _hop_address(hop)
        if address is None:
            # A trusted proxy forwarded something that is not an address: believe nothing
            # further and hold that proxy's own address accountable.
            return current
        current = address
        if not trusted.trusts(current):
            return current
    return current


def client_ip(conn: HTTPConnection, trusted: TrustedProxies | None = None) -> str:
    """The client address of a request or WebSocket (trusted proxies from the app by default)."""
    if trusted is None:
        trusted = getattr(conn.app.state, "trusted_proxies", None) or TrustedProxies()
    peer = conn.client.host if conn.client else None
    if not trusted:
        return resolve_client_ip(peer, (), trusted)
    chain = forwarded_chain(conn.headers.getlist("x-forwarded-for"))
    return resolve_client_ip(peer, chain, trusted)
