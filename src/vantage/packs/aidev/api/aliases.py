"""Developer aliases: which developer an e-mail, user or API key owner in the traces is."""

from __future__ import annotations

from fastapi import APIRouter

from vantage.core.auth.dependencies import AdminPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.schemas import AliasBatchIn, AliasList
from vantage.packs.aidev.service import aliases

router = APIRouter()


@router.get("/developers/aliases", response_model=AliasList, summary="The alias table")
async def list_aliases(
    session: ReadSession, principal: ReadPrincipal, runtime: AidevRuntimeDep
) -> AliasList:
    return await aliases.list_aliases(session, principal.tenant_id)


@router.put(
    "/developers/aliases",
    response_model=AliasList,
    summary="Map aliases to developers (applies to requests ingested from now on)",
)
async def put_aliases(
    body: AliasBatchIn, session: WriteSession, principal: AdminPrincipal, runtime: AidevRuntimeDep
) -> AliasList:
    await aliases.set_aliases(session, principal.tenant_id, body)
    return await aliases.list_aliases(session, principal.tenant_id)
