"""``/api/v1/admin/api-keys``: API keys of the caller's tenant (admin scope).

Another tenant's key answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vantage.core.auth.api.listing import offset_only
from vantage.core.auth.context import auth_context
from vantage.core.auth.dependencies import AdminPrincipal
from vantage.core.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from vantage.core.auth.service import api_keys
from vantage.core.db import ReadSession, WriteSession, utcnow
from vantage.core.ids import RowId
from vantage.core.pagination import Page, Pagination, page_of

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/api-keys", response_model=Page[ApiKeyOut], summary="API keys of your tenant")
async def list_api_keys(
    principal: AdminPrincipal, session: ReadSession, page: Pagination
) -> Page[ApiKeyOut]:
    offset_only(page)
    rows, total = await api_keys.list_api_keys(
        session, principal.tenant_id, limit=page.limit, offset=page.offset
    )
    return page_of([ApiKeyOut.of(key) for key in rows], page, total=total)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    summary="Create an API key; the full key is in this response only",
)
async def create_api_key(
    body: ApiKeyCreate, principal: AdminPrincipal, session: WriteSession
) -> ApiKeyCreated:
    created = await api_keys.create_api_key(
        session,
        tenant_id=principal.tenant_id,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        created_by_id=principal.subject_id if principal.kind == "user" else None,
        now=utcnow(),
    )
    return ApiKeyCreated(**ApiKeyOut.of(created.row).model_dump(), key=created.key)


@router.get("/api-keys/{key_id}", response_model=ApiKeyOut, summary="One API key of your tenant")
async def get_api_key(key_id: RowId, principal: AdminPrincipal, session: ReadSession) -> ApiKeyOut:
    return ApiKeyOut.of(await api_keys.get_api_key(session, principal.tenant_id, key_id))


@router.delete(
    "/api-keys/{key_id}", status_code=204, response_class=Response, summary="Revoke an API key"
)
async def revoke_api_key(
    key_id: RowId, principal: AdminPrincipal, session: WriteSession, request: Request
) -> Response:
    credentials = auth_context(request.app).credentials
    await api_keys.revoke_api_key(session, credentials, principal.tenant_id, key_id, utcnow())
    return Response(status_code=204)
