"""Which address a request comes from, with and without trusted proxies."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from vantage.core.client_address import (
    TrustedProxies,
    client_ip,
    forwarded_chain,
    resolve_client_ip,
)

PROXIES = TrustedProxies(["10.0.0.0/8", "192.0.2.7", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # An untrusted peer is the client, whatever it claims.
        ("198.51.100.9", "203.0.113.1", "198.51.100.9"),
        # One trusted proxy: the hop it appended.
        ("10.0.0.2", "203.0.113.1", "203.0.113.1"),
        # A client that writes its own header is only ever to the left of the real hop.
        ("10.0.0.2", "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        # A chain of trusted proxies is walked through.
        ("10.0.0.2", "203.0.113.1, 10.0.0.1, 192.0.2.7", "203.0.113.1"),
        # Every hop trusted: the left-most one.
        ("10.0.0.2", "10.0.0.5, 10.0.0.1", "10.0.0.5"),
        # Garbage from a trusted proxy: believe nothing further.
        ("10.0.0.2", "203.0.113.1, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "203.0.113.1, 10.0.0.3, unknown", "10.0.0.2"),
        # A trusted peer without the header is the client itself.
        ("10.0.0.2", "", "10.0.0.2"),
        # Ports that some proxies append are dropped.
        ("10.0.0.2", "203.0.113.1:5123", "203.0.113.1"),
        ("10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
        # IPv6 proxies and clients; an IPv4-mapped peer matches the IPv4 network.
        ("2001:db8:ffff::1", "2001:db8::abcd", "2001:db8::abcd"),
        ("::ffff:10.0.0.2", "203.0.113.1", "203.0.113.1"),
        # Spellings are canonical, so one client cannot look like many.
        ("10.0.0.2", "2001:DB8:0::1", "2001:db8::1"),
    ],
)
def test_right_most_untrusted_hop(peer: str, forwarded: str, expected: str) -> None:
    chain = forwarded_chain([forwarded]) if forwarded else []
    assert resolve_client_ip(peer, chain, PROXIES) == expected


def test_nobody_is_trusted_by_default() -> None:
    assert resolve_client_ip("127.0.0.1", ["203.0.113.1"], TrustedProxies()) == "127.0.0.1"


def test_missing_peer_is_unknown() -> None:
    assert resolve_client_ip(None, ["203.0.113.1"], PROXIES) == "unknown"


def test_repeated_headers_form_one_chain() -> None:
    assert forwarded_chain(["6.6.6.6, 203.0.113.1", " 10.0.0.1 ", ""]) == [
        "6.6.6.6",
        "203.0.113.1",
        "10.0.0.1",
    ]


def _request(peer: tuple[str, int] | None, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "headers": headers, "client": peer, "path": "/"})


def test_client_ip_of_a_request_reads_every_header() -> None:
    request = _request(("10.0.0.2", 5000), "6.6.6.6", "203.0.113.1, 10.0.0.9")
    assert client_ip(request, PROXIES) == "203.0.113.1"
    assert client_ip(request, TrustedProxies()) == "10.0.0.2"
    assert client_ip(_request(None, "203.0.113.1"), PROXIES) == "unknown"
