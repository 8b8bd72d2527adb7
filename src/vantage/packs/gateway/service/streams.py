"""Streamed calls: a producer task reads the upstream, the response only forwards its events.

Reading the upstream in its own task is what lets a stream outlive its client: when the client
disconnects, the response generator is cancelled and *detaches*; the producer keeps reading for
at most ``VANTAGE_GATEWAY_DISCONNECT_DRAIN_SECONDS`` to receive the upstream's real usage, then
closes the upstream. Whatever happens, the producer writes exactly one usage row when it ends:
real counts when the upstream reported them, tokenizer estimates flagged ``estimated`` when not.

On shutdown, streams still running after ``VANTAGE_GATEWAY_STREAM_SHUTDOWN_GRACE_SECONDS`` are
*interrupted*: their clients get a last event saying the server is stopping, and their rows say
``error`` / ``shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

import structlog

from vantage.core.auth.principal import Principal
from vantage.packs.gateway.providers.base import (
    Finish,
    ProviderError,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from vantage.packs.gateway.service.accounting import (
    CallContext,
    FinalUsage,
    error_code_of,
    final_usage,
    status_of,
    usage_record,
)
from vantage.packs.gateway.service.attempts import AttemptsFailed, OpenedStream, Target
from vantage.packs.gateway.service.calls import CallServices
from vantage.packs.gateway.service.chat import (
    admit,
    problem_for,
    record_abandoned,
    record_failure,
    settle,
)
from vantage.packs.gateway.service.routing import ChatInput
from vantage.packs.gateway.usage.record import Endpoint, UsageStatus

logger = structlog.get_logger("vantage.gateway.streams")
CLOSE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class StreamOutcome:
    """The last item of a stream: what it cost, or why it failed."""

    request_id: str
    target: Target
    usage: FinalUsage
    status: UsageStatus
    error: ProviderError | None
    finish_reason: str | None
    latency_ms: int
    ttft_ms: int | None


@dataclass(frozen=True)
class Interrupted:
    """The last item of a stream the server cut short because it is stopping."""


StreamItem = TextDelta | StreamOutcome | Interrupted
INTERRUPTED = Interrupted()


def ends_stream(batch: Sequence[StreamItem]) -> bool:
    """Whether a batch of ``StreamRun.items`` is the stream's last: text never ends one."""
    return bool(batch) and not isinstance(batch[-1], TextDelta)


class StreamRegistry:
    """The streams running in this process, and how they end when the server stops."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.running: set[StreamRun] = set()
        self._interrupter: asyncio.Task[None] | None = None

    def add(self, run: StreamRun) -> None:
        """Track ``run`` until its reader ends."""
        task = run.task
        if task is None:
            return
        self.running.add(run)
        task.add_done_callback(lambda _: self.running.discard(run))

    async def interrupt_streams_later(self) -> None:
        """On SIGTERM: streams get the grace period to finish, then their clients are told the
        server is stopping. Returns at once, so the server stops accepting meanwhile."""
        # A second signal during the grace period does not restart it.
        if self._interrupter is None or self._interrupter.done():
            self._interrupter = asyncio.create_task(self._interrupt_after_grace())

    async def _interrupt_after_grace(self) -> None:
        await self._wait_for_producers(self.grace_seconds)
        for run in list(self.running):
            run.interrupt()

    async def wait_for_streams(self, timeout: float) -> None:
        """Let running streams finish (bounded), then stop the rest; each records its usage."""
        if self._interrupter is not None:
            self._interrupter.cancel()  # the server has stopped: no client is left to tell
        pending = await self._wait_for_producers(timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def _wait_for_producers(self, timeout: float) -> set[asyncio.Task[None]]:
        """Wait at most ``timeout`` for the running streams' readers; those still running."""
        tasks = [run.task for run in list(self.running) if run.task is not None]
        if not tasks:
            return set()
        _, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.01))
        return pending


class StreamRun:
    """One streamed call: the producer task, its queue, and the client side's view of it."""

    def __init__(self, services: CallServices, ctx: CallContext, opened: OpenedStream) -> None:
        self.services = services
        self.ctx = ctx
        self.opened = opened
        self.task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        self._parts: list[str] = []
        self._usage = Usage()
        self._finish_reason: str | None = None
        self._ttft_ms: int | None = None
        self._detached = False
        self._interrupted = False
        self._drain_deadline: float | None = None
        self._timeout: asyncio.Timeout | None = None
        self.finished = False  # the usage row is written
        self._ended = False  # the upstream finished its stream (usage counts are final)
        self._outcome_queued = False  # the producer handed the client side its outcome
        self._outcome_taken = False  # the client side took the outcome off the queue
        self._client_done = asyncio.Event()

    @property
    def request_id(self) -> str:
        return self.ctx.request_id

    @property
    def target(self) -> Target:
        return self.opened.target

    def start(self, streams: StreamRegistry) -> None:
        """Start reading the upstream; ``streams`` tracks the reader until it ends."""
        self.task = asyncio.create_task(self._produce(), name=f"gateway-stream-{self.request_id}")
        streams.add(self)

    async def items(self) -> AsyncGenerator[list[StreamItem], None]:
        """What the client receives, in batches of whatever has arrived (one write each):
        text deltas, then an outcome or ``Interrupted``. An empty batch means nothing arrived
        for ``stream_ping_seconds`` (time for a keep-alive). Leaving early detaches."""
        ping_seconds = self.services.settings.stream_ping_seconds
        try:
            while True:
                try:
                    async with asyncio.timeout(ping_seconds):
                        first = await self._queue.get()
                except TimeoutError:
                    yield []
                    continue
                batch = [first]
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                if isinstance(batch[-1], StreamOutcome):
                    self._outcome_taken = True
                yield batch
                if ends_stream(batch):
                    return
        finally:
            self._client_done.set()
            if not self._outcome_taken:
                self.detach()

    def interrupt(self) -> None:
        """The server is stopping: end the client's stream now. The upstream is still read
        until the drain deadline, for its real usage."""
        if self._outcome_queued or self._detached:
            return
        self._interrupted = True
        self._queue.put_nowait(INTERRUPTED)

    def detach(self) -> None:
        """The client is gone: keep reading only until the drain deadline."""
        if self._detached:
            return
        self._detached = True
        loop = asyncio.get_running_loop()
        self._drain_deadline = loop.time() + self.services.settings.disconnect_drain_seconds
        timeout = self._timeout
        if timeout is not None:
            when = timeout.when()
            if when is None or when > self._drain_deadline:
                timeout.reschedule(self._drain_deadline)

    def _read_deadline(self) -> float:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.opened.provider.read_timeout
        if self._drain_deadline is not None:
            deadline = min(deadline, self._drain_deadline)
        return deadline

    def _on_event(self, event: StreamEvent | None) -> None:
        if isinstance(event, TextDelta):
            if self._ttft_ms is None:
                self._ttft_ms = self.ctx.elapsed_ms()
            self._parts.append(event.text)
            if not self._detached:
                self._queue.put_nowait(event)
        elif isinstance(event, UsageReport):
            # Overwrite, never add: cumulative (Anthropic) and final (OpenAI) counts alike.
            if event.input_tokens is not None:
                self._usage.input_tokens = event.input_tokens
            if event.output_tokens is not None:
                self._usage.output_tokens = event.output_tokens
            if event.cached_tokens is not None:
                self._usage.cached_tokens = event.cached_tokens
        elif isinstance(event, Finish):
            self._finish_reason = event.reason

    async def _produce(self) -> None:
        error: ProviderError | None = None
        timed_out = False
        events = self.opened.events
        loop = asyncio.get_running_loop()
        try:
            self._on_event(self.opened.first)
            # One timeout for the whole read, pushed back after every event: the upstream may
            # stay silent for a read timeout at most (until the drain deadline, once detached).
            async with asyncio.timeout_at(self._read_deadline()) as timeout:
                self._timeout = timeout
                try:
                    async for event in events:
                        self._on_event(event)
                        deadline = self._read_deadline()
                        if deadline <= loop.time():  # events that never pause cannot outrun it
                            timed_out = True
                            break
                        timeout.reschedule(deadline)
                    else:
                        self._ended = True
                finally:
                    self._timeout = None  # ``detach`` must not touch a finished timeout
        except TimeoutError:
            timed_out = True
        except ProviderError as failure:
            error = failure
            self.services.registry.record_failure(self.target.provider, failure)
        except asyncio.CancelledError:
            # Shutdown: account for what we have, then let the cancellation proceed.
            await self._close(events)
            usage = final_usage(
                self.services,
                self.ctx,
                self.target.model,
                self._usage,
                "".join(self._parts),
                complete=self._ended,
            )
            self._record(usage, "error", "shutdown")
            await asyncio.shield(settle(self.services, self.ctx, usage))
            raise
        except Exception as failure:  # a bug must not lose the usage row
            logger.exception("stream reader failed", request_id=self.request_id)
            error = ProviderError("server", f"stream failed: {type(failure).__name__}")
        await self._close(events)
        if timed_out and not self._detached:
            error = ProviderError("timeout", "the provider stopped sending in time")
        await self._finish(status_of(error), error)

    async def _finish(self, status: UsageStatus, error: ProviderError | None) -> None:
        """Hand the outcome to the client side, then write the row once it is done with it.

        The row says ``client_disconnect`` when the client left before it was handed the
        outcome, even if the upstream had finished: the client did not get the whole answer.
        It says ``error`` / ``shutdown`` when the server interrupted the stream.
        """
        usage = final_usage(
            self.services,
            self.ctx,
            self.target.model,
            self._usage,
            "".join(self._parts),
            complete=self._ended,
        )
        try:
            if not self._detached:
                self._queue.put_nowait(self._outcome(usage, status, error))
                self._outcome_queued = True
                # A client reading a backlog may take a while; one that never reads is waited
                # for at most a read timeout.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.opened.provider.read_timeout):
                        await self._client_done.wait()
        finally:  # also on shutdown (cancellation): the row is written either way
            error_code = error_code_of(error)
            if self._interrupted and not self._outcome_taken:
                status, error_code = "error", "shutdown"
            elif self._detached and not self._outcome_taken:
                status = "client_disconnect"
            self._record(usage, status, error_code)
            await asyncio.shield(settle(self.services, self.ctx, usage))

    async def _close(self, events: AsyncGenerator[StreamEvent, None]) -> None:
        with self.services.errors.passing_over(
            "gateway.stream.close_upstream",
            "upstream stream not closed",
            request_id=self.request_id,
        ):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await events.aclose()

    def _record(self, usage: FinalUsage, status: UsageStatus, error_code: str | None) -> None:
        if self.finished:
            return
        self.finished = True
        self.services.writer.submit(
            usage_record(
                self.ctx,
                self.target,
                usage,
                status=status,
                attempts=self.opened.attempts,
                streamed=True,
                ttft_ms=self._ttft_ms,
                error_code=error_code,
            )
        )

    def _outcome(
        self, usage: FinalUsage, status: UsageStatus, error: ProviderError | None
    ) -> StreamOutcome:
        return StreamOutcome(
            request_id=self.request_id,
            target=self.target,
            usage=usage,
            status=status,
            error=error,
            finish_reason=self._finish_reason,
            latency_ms=self.ctx.elapsed_ms(),
            ttft_ms=self._ttft_ms,
        )


async def open_stream(
    services: CallServices,
    streams: StreamRegistry,
    principal: Principal,
    chat: ChatInput,
    endpoint: Endpoint,
) -> StreamRun:
    """Admit the request and open its upstream stream (retries and fallbacks happen here)."""
    ctx = await admit(services, principal, chat, endpoint)
    assert ctx.plan is not None
    try:
        opened = await services.caller.open_stream(ctx.plan.targets, ctx.plan.request)
    except AttemptsFailed as failure:
        await settle(services, ctx, record_failure(services, ctx, failure, streamed=True))
        raise problem_for(failure.last) from failure
    except BaseException:
        usage = record_abandoned(services, ctx, streamed=True)
        await asyncio.shield(settle(services, ctx, usage))
        raise
    run = StreamRun(services, ctx, opened)
    run.start(streams)
    return run
