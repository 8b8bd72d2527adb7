"""``Idempotency-Key`` for ingest POSTs: a replay returns the first response (see ``store``)."""

from vantage.core.idempotency.models import DONE, IN_FLIGHT, MAX_KEY_LENGTH, IdempotencyRecord
from vantage.core.idempotency.store import (
    HEADER,
    REPLAY_HEADER,
    Claim,
    Handler,
    IdempotencyStore,
    StoredResponse,
    fingerprint_of,
    idempotency_key_of,
    respond_idempotently,
)
from vantage.core.idempotency.writes import (
    IDEMPOTENT_WRITE_RESPONSES,
    IdempotentWrite,
    write_idempotently,
)

__all__ = [
    "DONE",
    "HEADER",
    "IDEMPOTENT_WRITE_RESPONSES",
    "IN_FLIGHT",
    "MAX_KEY_LENGTH",
    "REPLAY_HEADER",
    "Claim",
    "Handler",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IdempotentWrite",
    "StoredResponse",
    "fingerprint_of",
    "idempotency_key_of",
    "respond_idempotently",
    "write_idempotently",
]
