from __future__ import annotations

import pytest

from vantage.core.auth.principal import Principal, Scope
from vantage.core.packs import Pack
from vantage.core.realtime import channel_registry
from vantage.core.realtime.channels import (
    ChannelRegistry,
    ChannelSpec,
    InvalidChannelError,
    UnknownChannelError,
    parse_channel,
)


def _principal(*scopes: Scope) -> Principal:
    return Principal(kind="user", subject_id=1, tenant_id=1, scopes=frozenset(scopes))


@pytest.mark.parametrize(
    ("name", "pack", "topic", "key"),
    [
        ("trading.metrics", "trading", "metrics", None),
        ("trading.metrics:AAPL", "trading", "metrics", "AAPL"),
        ("delivery.events:repo-1.main_x", "delivery", "events", "repo-1.main_x"),
    ],
)
def test_channel_names_parse(name: str, pack: str, topic: str, key: str | None) -> None:
    parsed = parse_channel(name)
    assert (parsed.pack, parsed.topic, parsed.key) == (pack, topic, key)
    assert str(parsed) == name


@pytest.mark.parametrize(
    "name",
    [
        "trading",
        "Trading.metrics",
        "trading.",
        ".metrics",
        "trading.metrics:",
        "a.b:c d",
        "a.b:x:y",
        "a.b/c",
        "t1:trading.metrics",
        "a.b:" + "k" * 129,
        "",
    ],
)
def test_malformed_channel_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidChannelError):
        parse_channel(name)


def test_registry_resolves_plain_and_keyed_channels_separately() -> None:
    plain = ChannelSpec("trading.metrics", cache=True)
    keyed = ChannelSpec("trading.trades:*")
    registry = ChannelRegistry([plain, keyed])
    assert registry.resolve("trading.metrics")[1] is plain
    assert registry.resolve("trading.trades:BTC")[1] is keyed
    with pytest.raises(UnknownChannelError):
        registry.resolve("trading.metrics:AAPL")  # only the unkeyed channel was declared
    with pytest.raises(UnknownChannelError):
        registry.resolve("trading.trades")
    with pytest.raises(UnknownChannelError):
        registry.resolve("commerce.dashboard")


def test_declaring_a_pattern_twice_is_an_error() -> None:
    registry = ChannelRegistry([ChannelSpec("trading.metrics")])
    with pytest.raises(ValueError, match="twice"):
        registry.declare(ChannelSpec("trading.metrics"))


@pytest.mark.parametrize(
    "arguments",
    [
        {"pattern": "trading.metrics:AAPL"},
        {"pattern": "trading"},
        {"pattern": "trading.metrics", "history_size": 0},
        {"pattern": "trading.metrics", "history_ttl_seconds": 0},
    ],
)
def test_invalid_specs_are_refused(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ChannelSpec(**arguments)  # type: ignore[arg-type]


def test_scopes_decide_who_subscribes_and_who_publishes() -> None:
    server_only = ChannelSpec("trading.metrics")
    ingest = ChannelSpec("trading.events", publish_scope=Scope.INGEST)
    admin = ChannelSpec("trading.audit", subscribe_scope=Scope.ADMIN)
    reader = _principal(Scope.READ)
    writer = _principal(Scope.READ, Scope.INGEST)
    assert server_only.may_subscribe(reader) and not server_only.may_publish(writer)
    assert ingest.may_publish(writer) and not ingest.may_publish(reader)
    assert not admin.may_subscribe(reader) and admin.may_subscribe(_principal(Scope.ADMIN))


def test_a_pack_may_only_declare_its_own_channels() -> None:
    own = Pack(name="trading", title="T", version="1", channels=[ChannelSpec("trading.metrics")])
    patterns = [spec.pattern for spec in channel_registry([own]).specs()]
    assert patterns == ["core.jobs:*", "trading.metrics"]  # the core's own, then the pack's
    foreign = Pack(name="commerce", title="C", version="1", channels=[ChannelSpec("trading.x")])
    with pytest.raises(ValueError, match="another pack"):
        channel_registry([foreign])
