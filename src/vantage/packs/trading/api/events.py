"""Event ingest over HTTP: one batch of ticks, orders, fills, strategy updates, logs, heartbeats."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import (
    IDEMPOTENT_WRITE_RESPONSES,
    IdempotentWrite,
    write_idempotently,
)
from vantage.core.offload import parse_off_loop
from vantage.core.openapi import request_body
from vantage.packs.trading.ingest.events import BatchShapeError, EventBatch
from vantage.packs.trading.ingest.unit_of_work import IngestOutcome
from vantage.packs.trading.runtime import TradingRuntimeDep
from vantage.packs.trading.schemas import IngestResponse, ingest_response

router = APIRouter()

IDEMPOTENCY_SCOPE = "trading.events"
JSON = "application/json"


@router.post(
    "/events",
    response_model=IngestResponse,
    responses=IDEMPOTENT_WRITE_RESPONSES,
    summary="Ingest a batch of events",
    description=(
        "Ticks, order lifecycle events, fills, strategy updates, log lines and heartbeats, in "
        "one batch. Each event is validated on its own: good events are kept, bad ones come "
        "back in `errors` with their index, id and field. Event ids make resending safe: an "
        "id already stored is counted as a duplicate and changes nothing. A batch in which "
        "every event is refused is a 422 problem listing each one. With an `Idempotency-Key` "
        "header a retry gets the first answer back byte for byte."
    ),
    openapi_extra=request_body(EventBatch),
)
async def ingest_events(
    request: Request, principal: IngestPrincipal, runtime: TradingRuntimeDep
) -> Response:
    tenant_id = principal.tenant_id

    async def work(write: IdempotentWrite) -> Response:
        try:
            parsed = await parse_off_loop(runtime.pipeline.parse_body, await request.body())
        except BatchShapeError as error:
            raise ValidationFailed.field(error.loc, str(error)) from error
        answered: list[Response] = []

        async def answer(session: AsyncSession, outcome: IngestOutcome) -> None:
            # The answer commits with the events it describes (a refused batch is stored later,
            # as its problem). A retried transaction answers again: the last answer is kept.
            if not _all_refused(outcome):
                answered[:] = [await write.answer(session, ingest_response(outcome))]

        outcome = await runtime.pipeline.ingest(tenant_id, parsed, answer)
        if _all_refused(outcome):
            raise _refusal(outcome)
        if answered:
            return answered[0]
        # No transaction ran (an empty batch): nothing to keep the answer with.
        return Response(ingest_response(outcome).model_dump_json().encode(), media_type=JSON)

    return await write_idempotently(
        request, runtime.idempotency, tenant_id, IDEMPOTENCY_SCOPE, work
    )


def _all_refused(outcome: IngestOutcome) -> bool:
    return bool(outcome.errors) and outcome.accepted == 0 and outcome.duplicates == 0


def _refusal(outcome: IngestOutcome) -> ValidationFailed:
    return ValidationFailed(
        f"all {len(outcome.errors)} events were refused",
        errors=[
            {
                "loc": ["body", "events", error.index, *error.loc],
                "message": error.message,
                "type": error.type,
                "id": error.event_id,
            }
            for error in outcome.errors
        ],
    )
