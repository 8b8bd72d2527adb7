"""The shared backend: Redis Streams keep history, Redis pub/sub carries publishes to every process.

One pub/sub connection per process subscribes to the channels that have local subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from vantage.core.errors import Unavailable
from vantage.core.realtime.backends import redis_scripts
from vantage.core.realtime.backends.base import Deliver, HistoryRead
from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position, new_epoch
from vantage.core.suppressed import SuppressedErrors, unregistered

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

logger = structlog.get_logger("vantage.realtime")

MAX_RECONNECT_DELAY_SECONDS = 5.0
POLL_SECONDS = 1.0
# The shared client's pool refuses (rather than queues) calls beyond its size, and a reconnect
# storm can bring a thousand subscribes at once: the hub keeps its own calls below this.
MAX_CONCURRENT_CALLS = 32


@dataclass
class _Listener:
    channel: str
    ready: asyncio.Future[None]
    topic: bytes
    refs: int = 0
    last: Position | None = None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    # A client made with decode_responses=True hands back str where the default gives bytes.
    return value.encode() if isinstance(value, str) else value


def _entry(channel: str, epoch: str, raw: Sequence[Any]) -> Message:
    entry_id, fields = raw
    # Script replies carry the flat field list; redis-py parses XRANGE replies into a dict.
    pairs = (
        fields.items() if isinstance(fields, dict) else zip(fields[::2], fields[1::2], strict=True)
    )
    values = {_text(name): _text(value) for name, value in pairs}
    offset = int(_text(entry_id).split("-", 1)[1])
    return Message(channel, epoch, offset, float(values["t"]), values["d"])


class RedisBackend:
    """History in Redis Streams (``XADD MAXLEN ~``), fan-out over Redis pub/sub."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        subscribe_timeout: float = 5.0,
        *,
        suppressed_errors: SuppressedErrors | None = None,
    ) -> None:
        self._redis = redis
        self._suppressed = suppressed_errors or unregistered()
        self._prefix = prefix
        self._subscribe_timeout = subscribe_timeout
        self._publish_script = redis.register_script(redis_scripts.PUBLISH)
        self._read_script = redis.register_script(redis_scripts.READ)
        self._listeners: dict[str, _Listener] = {}
        self._keys_by_topic: dict[bytes, str] = {}
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._commands = asyncio.Lock()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._deliver: Deliver | None = None

    # -- keys ---------------------------------------------------------------------------------

    def _topic(self, key: str) -> bytes:
        return f"{self._prefix}{key}".encode()

    def _keys(self, key: str) -> list[str]:
        tagged = f"{self._prefix}{{{key}}}"
        return [f"{tagged}:m", f"{tagged}:h"]

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._listeners.clear()
        self._keys_by_topic.clear()
        self._confirmations.clear()
        # Created here, in the loop that will use them (an application may be started again).
        self._connected = asyncio.Event()
        self._commands = asyncio.Lock()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self._pubsub = self._redis.pubsub()
        self._reader = asyncio.create_task(self._read_loop(), name="realtime-redis-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with self._suppressed.passing_over("realtime.redis.close_pubsub", logger=logger):
                await self._pubsub.aclose()
        self._deliver = None

    # -- history ------------------------------------------------------------------------------

    async def publish(
        self, key: str, channel: str, spec: ChannelSpec, data_json: str, published_at: float
    ) -> Message:
        args: list[str | int | bytes] = [
            new_epoch(),
            data_json,
            repr(published_at),
            spec.history_size,
            int(spec.history_ttl_seconds * 1000),
            self._topic(key),
        ]
        try:
            async with self._slots:
                epoch, offset = await self._publish_script(keys=self._keys(key), args=args)
        except Exception as error:
            raise Unavailable("the realtime backend (Redis) is unavailable") from error
        return Message(channel, _text(epoch), int(offset), published_at, data_json)

    async def read(
        self, key: str, channel: str, spec: ChannelSpec, since: Position | None, latest: bool
    ) -> HistoryRead:
        args: list[str | int | bytes] = [
            new_epoch(),
            int(spec.history_ttl_seconds * 1000),
            since.epoch if since else "",
            since.offset if since else -1,
            spec.history_size,
            "1" if latest else "0",
        ]
        try:
            async with self._slots:
                raw_epoch, offset, missed, newest = await self._read_script(
                    keys=self._keys(key), args=args
                )
        except Exception as error:
            raise Unavailable("the realtime backend (Redis) is unavailable") from error
        epoch = _text(raw_epoch)
        return HistoryRead(
            Position(epoch, int(offset)),
            [_entry(channel, epoch, raw) for raw in missed],
            _entry(channel, epoch, newest[0]) if newest else None,
        )

    async def _read_range(
        self, key: str, channel: str, epoch: str, first: int, last: int
    ) -> list[Message]:
        stream = self._keys(key)[1]
        async with self._slots:
            entries: list[Any] = await self._redis.xrange(stream, f"0-{first}", f"0-{last}") or []
        return [_entry(channel, epoch, raw) for raw in entries]

    def sweep(self, now: float) -> None:
        """Redis expires idle histories itself (PEXPIRE on every publish)."""

    # -- pub/sub ------------------------------------------------------------------------------

    async def listen(self, key: str, channel: str) -> None:
        listener = self._listeners.get(key)
        first = listener is None
        if listener is None:
            listener = _Listener(
                channel, asyncio.get_running_loop().create_future(), self._topic(key)
            )
            self._listeners[key] = listener
            self._keys_by_topic[listener.topic] = key
        listener.refs += 1
        try:
            async with asyncio.timeout(self._subscribe_timeout):
                if first:
                    await self._send_subscribe(listener)
                await asyncio.shield(listener.ready)
        except asyncio.CancelledError:
            await self._release(key, listener)
            raise
        except Exception as error:
            await self._release(key, listener)
            raise Unavailable("the realtime backend (Redis) is unavailable") from error

    async def _send_subscribe(self, listener: _Listener) -> None:
        """SUBSCRIBE, then PING with a unique token on the same connection: Redis answers in
        order, so the token's pong proves the subscription is active before history is read."""
        assert self._pubsub is not None, "start() the backend first"
        await self._connected.wait()
        token = secrets.token_hex(8).encode()
        self._confirmations[token] = listener.ready
        try:
            async with self._commands:
                await self._pubsub.subscribe(listener.topic)
                await self._pubsub.ping(token)
        except BaseException:
            self._confirmations.pop(token, None)
            if not listener.ready.done():
                # Every task waiting on this subscription fails now rather than at its timeout.
                listener.ready.set_exception(Unavailable("subscribing failed"))
                listener.ready.exception()
            raise

    async def unlisten(self, key: str) -> None:
        listener = self._listeners.get(key)
        if listener is not None:
            await self._release(key, listener)

    async def _release(self, key: str, listener: _Listener) -> None:
        listener.refs -= 1
        if listener.refs > 0 or self._listeners.get(key) is not listener:
            return
        del self._listeners[key]
        self._keys_by_topic.pop(listener.topic, None)
        if self._pubsub is None:
            return
        try:
            async with self._commands:
                await self._pubsub.unsubscribe(listener.topic)
        except Exception as error:  # the subscription dies with the connection anyway
            logger.warning("realtime unsubscribe failed", error=str(error))

    async def _read_loop(self) -> None:
        assert self._pubsub is not None
        delay = 0.1
        while True:
            try:
                if self._pubsub.connection is None:
                    await self._pubsub.connect()  # type: ignore[no-untyped-call]
                    self._connected.set()
                message = await self._pubsub.get_message(timeout=POLL_SECONDS)
                delay = 0.1
                if message is not None:
                    await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # reconnect with back-off; subscriptions are restored
                logger.warning(
                    "realtime pub/sub connection failed", error=str(error), retry_in=delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY_SECONDS)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        topic = _bytes(message["channel"] or b"")
        if kind == "pong":
            future = self._confirmations.pop(_bytes(message["data"]), None)
            if future is not None and not future.done():
                future.set_result(None)
            return
        if kind != "message":
            return
        key = self._keys_by_topic.get(topic)
        listener = self._listeners.get(key) if key is not None else None
        if key is None or listener is None or self._deliver is None:
            return
        epoch, offset_text, published_at, data_json = _text(message["data"]).split("|", 3)
        offset = int(offset_text)
        last = listener.last
        if last is not None and last.epoch == epoch:
            if offset <= last.offset:
                return  # seen already (a subscription restored after a reconnect)
            if offset > last.offset + 1:
                await self._fill_gap(key, listener, epoch, last.offset + 1, offset - 1)
        listener.last = Position(epoch, offset)
        self._deliver(key, Message(listener.channel, epoch, offset, float(published_at), data_json))

    async def _fill_gap(
        self, key: str, listener: _Listener, epoch: str, first: int, last: int
    ) -> None:
        """Messages published while the pub/sub connection was down come from the stream."""
        assert self._deliver is not None
        try:
            missed = await self._read_range(key, listener.channel, epoch, first, last)
        except Exception as error:
            logger.warning("realtime gap could not be filled", key=key, error=str(error))
            return
        for message in missed:
            self._deliver(key, message)
