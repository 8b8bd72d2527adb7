"""How many messages one WebSocket connection may send: a token bucket per connection.

A client over the rate gets an ``error`` op (``RATE_LIMITED``) for each message dropped; one that
keeps sending a whole second's worth of messages past the limit is closed with 1008.
"""

from __future__ import annotations

from collections.abc import Callable


class MessageRate:
    """``per_second`` messages a second on average, with bursts of one second's worth."""

    def __init__(self, per_second: float, clock: Callable[[], float]) -> None:
        self._per_second = per_second
        self._clock = clock
        self._tokens = per_second
        self._at = clock()
        self._refused = 0

    def admit(self) -> bool:
        """Spend one message; False when the connection is over its rate."""
        now = self._clock()
        self._tokens = min(self._per_second, self._tokens + (now - self._at) * self._per_second)
        self._at = now
        if self._tokens >= self._per_second:
            self._refused = 0  # quiet for a second: past refusals are forgiven
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self._refused += 1
        return False

    @property
    def persistent(self) -> bool:
        """Whether more than a second's worth of messages was refused since the client calmed."""
        return self._refused > self._per_second
