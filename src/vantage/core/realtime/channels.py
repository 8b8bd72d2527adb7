"""Channel names (``<pack>.<topic>[:<key>]``) and the registry where packs declare channels."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vantage.core.auth.principal import Principal, Scope

MAX_CHANNEL_LENGTH = 200
KEYED_SUFFIX = ":*"
_PACK, _TOPIC, _KEY = r"[a-z][a-z0-9_]{0,39}", r"[a-z][a-z0-9_]{0,63}", r"[A-Za-z0-9_.\-]{1,128}"
_CHANNEL = re.compile(rf"^(?P<pack>{_PACK})\.(?P<topic>{_TOPIC})(?::(?P<key>{_KEY}))?$")
CHANNEL_PATTERN = rf"^{_PACK}\.{_TOPIC}(?::{_KEY})?$"
"""``_CHANNEL`` as a JSON Schema pattern, for the OpenAPI document."""


class ChannelError(ValueError):
    """A channel name is malformed, or names no declared channel."""


class InvalidChannelError(ChannelError):
    """The name does not follow ``<pack>.<topic>[:<key>]``."""


class UnknownChannelError(ChannelError):
    """No pack declared a channel that matches the name."""


@dataclass(frozen=True)
class ChannelName:
    """A parsed channel name; ``family`` is the name without its key."""

    pack: str
    topic: str
    key: str | None

    @property
    def family(self) -> str:
        return f"{self.pack}.{self.topic}"

    def __str__(self) -> str:
        return self.family if self.key is None else f"{self.family}:{self.key}"


def parse_channel(name: str) -> ChannelName:
    """Parse and validate a channel name; raises InvalidChannelError."""
    match = _CHANNEL.match(name) if len(name) <= MAX_CHANNEL_LENGTH else None
    if match is None:
        raise InvalidChannelError(
            f"{name[:80]!r} is not a channel name: expected <pack>.<topic> or <pack>.<topic>:<key>"
        )
    return ChannelName(match["pack"], match["topic"], match["key"])


@dataclass(frozen=True)
class ChannelSpec:
    """What a pack declares about one channel (or, with a ``:*`` pattern, a family of keyed ones).

    ``publish_scope`` None means only server code publishes (``hub.publish``); a scope (normally
    ``Scope.INGEST``) also lets clients holding it publish over the WebSocket. In ``cache`` mode
    a new subscriber is sent the channel's latest message at once.
    """

    pattern: str
    subscribe_scope: Scope = Scope.READ
    publish_scope: Scope | None = None
    history_size: int = 1000
    history_ttl_seconds: float = 300.0
    cache: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        base = self.pattern.removesuffix(KEYED_SUFFIX)
        parsed = parse_channel(base)
        if parsed.key is not None:
            raise InvalidChannelError(
                f"pattern {self.pattern!r}: use <pack>.<topic>:* for keyed channels"
            )
        if self.history_size < 1:
            raise ValueError(f"channel {self.pattern!r}: history_size must be at least 1")
        if self.history_ttl_seconds <= 0:
            raise ValueError(f"channel {self.pattern!r}: history_ttl_seconds must be positive")

    @property
    def pack(self) -> str:
        return self.pattern.split(".", 1)[0]

    @property
    def keyed(self) -> bool:
        return self.pattern.endswith(KEYED_SUFFIX)

    def may_subscribe(self, principal: Principal) -> bool:
        return principal.has(self.subscribe_scope)

    def may_publish(self, principal: Principal) -> bool:
        return self.publish_scope is not None and principal.has(self.publish_scope)


class ChannelRegistry:
    """Every declared channel; resolving a name is two dictionary lookups at most."""

    def __init__(self, specs: Iterable[ChannelSpec] = ()) -> None:
        self._specs: dict[str, ChannelSpec] = {}
        for spec in specs:
            self.declare(spec)

    def declare(self, spec: ChannelSpec) -> None:
        """Add a channel; declaring the same pattern twice is an error."""
        if spec.pattern in self._specs:
            raise ValueError(f"channel {spec.pattern!r} is declared twice")
        self._specs[spec.pattern] = spec

    def resolve(self, name: str) -> tuple[ChannelName, ChannelSpec]:
        """The parsed name and its spec; raises InvalidChannelError or UnknownChannelError."""
        parsed = parse_channel(name)
        pattern = parsed.family if parsed.key is None else parsed.family + KEYED_SUFFIX
        spec = self._specs.get(pattern)
        if spec is None:
            raise UnknownChannelError(f"no channel {name!r} is declared")
        return parsed, spec

    def specs(self) -> list[ChannelSpec]:
        """Every declared channel, in declaration order."""
        return list(self._specs.values())
