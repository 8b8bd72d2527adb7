"""Webhook intake: verify, validate, then store and queue deliveries in shared transactions.

A delivery is acknowledged only once the transaction holding it committed. Deliveries that
arrive while a transaction is being written wait for the next one, so one commit (and one
write lock) serves every delivery that came in meanwhile: the cost of a commit is shared,
not paid per request. A batch that fails is written again one delivery at a time, so a bad
delivery fails alone.

The plain secret of each source is kept for ``SECRET_TTL_SECONDS`` (and forgotten as soon as a
change of the source commits in this process), so a delivery costs no source read and no
decryption.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Database, after_commit, utcnow
from vantage.core.errors import Unauthorized
from vantage.core.jobs import JobService
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER, signature_matches
from vantage.packs.delivery.repository import sources as source_rows
from vantage.packs.delivery.repository import webhooks as delivery_rows
from vantage.packs.delivery.service.secrets import SecretBox, source_secret
from vantage.packs.delivery.service.webhooks import (
    PROCESS_JOB,
    REJECTED,
    Receipt,
    WebhookRequest,
    repository_in,
    validate_delivery,
)

SECRET_TTL_SECONDS = 5.0
MAX_BATCH = 200

logger = structlog.get_logger("vantage.delivery")


@dataclass(frozen=True)
class _Signer:
    tenant_id: int
    source_id: int
    secret: str | None
    until: float


class SourceSecrets:
    """Each source's tenant and plain webhook secret, kept for a short while."""

    def __init__(
        self,
        database: Database,
        box: SecretBox,
        ttl: float = SECRET_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._box = box
        self._ttl = ttl
        self._clock = clock
        self._known: dict[int, _Signer] = {}

    async def get(self, source_id: int) -> _Signer | None:
        """The source's signer; None for an unknown source (unknown ids are never kept)."""
        now = self._clock()
        known = self._known.get(source_id)
        if known is not None and known.until > now:
            return known
        async with self._database.reader() as session:
            source = await source_rows.get_for_webhook(session, source_id)
        if source is None:
            self._known.pop(source_id, None)
            return None
        signer = _Signer(
            tenant_id=source.tenant_id,
            source_id=source.id,
            secret=source_secret(self._box, source.secret_ciphertext, source.secret_env),
            until=now + self._ttl,
        )
        self._known[source_id] = signer
        return signer

    def forget(self, source_id: int) -> None:
        """Read the source again on its next delivery."""
        self._known.pop(source_id, None)

    def forget_after_commit(self, session: AsyncSession, source_id: int) -> None:
        """Forget the source once the transaction changing it commits."""

        async def forget() -> None:
            self.forget(source_id)

        after_commit(session, forget)


@dataclass
class _Delivery:
    values: dict[str, Any]
    known: bool
    done: asyncio.Future[Receipt] = field(repr=False)


async def _store(session: AsyncSession, batch: list[_Delivery], jobs: JobService) -> list[Receipt]:
    """Store each delivery once per delivery id and queue its processing."""
    inserted = await delivery_rows.insert_many(session, [d.values for d in batch])
    receipts: list[Receipt | None] = []
    queue: dict[int, list[int]] = {}  # per tenant, in the order received
    for delivery in batch:
        values = delivery.values
        tenant_id, delivery_id = values["tenant_id"], values["delivery_id"]
        row_id = inserted.pop((tenant_id, delivery_id), None)
        if row_id is None:
            receipts.append(None)
            continue
        if delivery.known:
            queue.setdefault(tenant_id, []).append(row_id)
        status = "queued" if delivery.known else "ignored"
        receipts.append(Receipt(tenant_id, delivery_id, values["event"], status))
    if queue:
        # One job per tenant processes the batch's deliveries in order: a job costs a row and
        # a message, whatever it holds.
        await jobs.enqueue_many(
            session,
            [(tenant, PROCESS_JOB, {"deliveries": rows}) for tenant, rows in queue.items()],
        )
    return [
        receipt if receipt is not None else await _redelivered(session, delivery, jobs)
        for delivery, receipt in zip(batch, receipts, strict=True)
    ]


async def _redelivered(session: AsyncSession, delivery: _Delivery, jobs: JobService) -> Receipt:
    """A delivery id already stored: queued again when its processing failed."""
    values = delivery.values
    tenant_id, delivery_id, event = values["tenant_id"], values["delivery_id"], values["event"]
    existing = await delivery_rows.by_delivery_id(session, tenant_id, delivery_id)
    assert existing is not None
    if await delivery_rows.requeue_failed(session, tenant_id, existing.id):
        await jobs.enqueue(session, tenant_id, PROCESS_JOB, {"delivery": existing.id})
        return Receipt(tenant_id, delivery_id, event, "requeued")
    return Receipt(tenant_id, delivery_id, event, "duplicate")


class WebhookIntake:
    """Receives deliveries: each answer waits for the commit of the transaction holding it."""

    def __init__(
        self, database: Database, box: SecretBox, jobs: JobService, max_batch: int = MAX_BATCH
    ) -> None:
        self.secrets = SourceSecrets(database, box)
        self._database = database
        self._jobs = jobs
        self._max_batch = max_batch
        self._waiting: list[_Delivery] = []
        self._writer: asyncio.Task[None] | None = None

    async def receive(self, request: WebhookRequest) -> Receipt:
        """Verify, validate, store once and queue one delivery; nothing is stored when refused."""
        signer = None
        if request.source_id is not None:
            signer = await self.secrets.get(request.source_id)
        if (
            signer is None
            or not signer.secret
            or not signature_matches(signer.secret, request.body, request.signature)
        ):
            raise Unauthorized(REJECTED, headers={"WWW-Authenticate": SIGNATURE_HEADER})
        delivery = validate_delivery(request)
        parsed = delivery.parsed
        known = parsed is not None
        repository = repository_in(request.body) if parsed is None else None
        if parsed is not None:
            repository = parsed.repository.full_name
        values = {
            "tenant_id": signer.tenant_id,
            "source_id": signer.source_id,
            "delivery_id": delivery.delivery_id,
            "event": delivery.event,
            "action": getattr(parsed, "action", None),
            "repository": repository,
            "payload": request.body,
            "status": delivery_rows.PENDING if known else delivery_rows.IGNORED,
            "received_at": utcnow(),
        }
        done: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Delivery(values, known, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting(), name="webhook-intake")
        # The write goes on when this request is cancelled: the delivery is then stored, not
        # acknowledged, and GitHub's redelivery is a duplicate.
        return await asyncio.shield(done)

    async def close(self) -> None:
        """Let the deliveries being written finish."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                await self._write()
        finally:
            self._writer = None

    def _take(self) -> list[_Delivery]:
        batch = self._waiting[: self._max_batch]
        del self._waiting[: self._max_batch]
        return batch

    async def _write(self, alone: _Delivery | None = None) -> None:
        """Write the waiting deliveries (or ``alone``) in one transaction."""
        batch = [] if alone is None else [alone]
        receipts: list[Receipt] = []

        async def acknowledge() -> None:
            # First after the commit, before the jobs are sent: the deliveries are stored.
            for delivery, receipt in zip(batch, receipts, strict=True):
                _settle(delivery, receipt=receipt)

        try:
            async with self._database.transaction() as session:
                after_commit(session, acknowledge)
                if alone is None:
                    # Taken once the transaction holds the write lock, so the deliveries that
                    # arrived while it was being taken share this commit.
                    await session.connection()
                    batch += self._take()
                receipts += await _store(session, batch, self._jobs)
        except Exception as error:
            batch = batch or self._take()
            if len(batch) == 1:
                _settle(batch[0], error=await self._refusal(batch[0], error))
                return
            logger.warning("webhook batch failed; storing its deliveries one by one")
            for delivery in batch:
                await self._write(delivery)

    async def _refusal(self, delivery: _Delivery, error: Exception) -> Exception:
        """What a delivery that could not be stored answers.

        A source removed by another process is still known here for a few seconds; its
        deliveries then break the source's foreign key, and are refused as an unknown source's.
        """
        if isinstance(error, IntegrityError):
            source_id = delivery.values["source_id"]
            self.secrets.forget(source_id)
            if await self.secrets.get(source_id) is None:
                return Unauthorized(REJECTED, headers={"WWW-Authenticate": SIGNATURE_HEADER})
        return error


def _settle(
    delivery: _Delivery, receipt: Receipt | None = None, error: BaseException | None = None
) -> None:
    if delivery.done.done():
        return
    if error is not None:
        delivery.done.set_exception(error)
    else:
        assert receipt is not None
        delivery.done.set_result(receipt)
