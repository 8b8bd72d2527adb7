"""``/api/v1/admin/users``: users of the caller's tenant (admin scope).

Every query is bound to the caller's tenant: another tenant's user answers 404, exactly like an
id that does not exist.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from vantage.core.auth.api.listing import offset_only
from vantage.core.auth.context import auth_context
from vantage.core.auth.dependencies import AdminPrincipal
from vantage.core.auth.schemas import UserCreate, UserOut, UserUpdate
from vantage.core.auth.service import users
from vantage.core.auth.service.users import UserChanges
from vantage.core.db import ReadSession, WriteSession, after_commit, utcnow
from vantage.core.ids import RowId
from vantage.core.pagination import Page, Pagination, page_of

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def _forget_user_after_commit(app: Starlette, session: AsyncSession, user_id: int) -> None:
    """This worker refuses the user's old credentials as soon as the change commits."""
    after_commit(session, partial(auth_context(app).credentials.forget_user, user_id))


@router.get("/users", response_model=Page[UserOut], summary="Users of your tenant")
async def list_users(
    principal: AdminPrincipal, session: ReadSession, page: Pagination
) -> Page[UserOut]:
    offset_only(page)
    rows, total = await users.list_users(
        session, principal.tenant_id, limit=page.limit, offset=page.offset
    )
    return page_of([UserOut.of(user) for user in rows], page, total=total)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user")
async def create_user(
    body: UserCreate, principal: AdminPrincipal, session: WriteSession, request: Request
) -> UserOut:
    user = await users.create_user(
        session,
        auth_context(request.app).hasher,
        tenant_id=principal.tenant_id,
        email=body.email,
        password=body.password,
        role=body.role,
    )
    return UserOut.of(user)


@router.get("/users/{user_id}", response_model=UserOut, summary="One user of your tenant")
async def get_user(user_id: RowId, principal: AdminPrincipal, session: ReadSession) -> UserOut:
    return UserOut.of(await users.get_user(session, principal.tenant_id, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change role, password or active flag (role and password changes end older tokens)",
)
async def update_user(
    user_id: RowId,
    body: UserUpdate,
    principal: AdminPrincipal,
    session: WriteSession,
    request: Request,
) -> UserOut:
    user = await users.get_user(session, principal.tenant_id, user_id)
    changes = UserChanges(role=body.role, active=body.active, password=body.password)
    updated = await users.update_user(
        session, auth_context(request.app).hasher, user, changes, now=utcnow()
    )
    _forget_user_after_commit(request.app, session, user.id)
    return UserOut.of(updated)


@router.delete(
    "/users/{user_id}",
    status_code=204,
    response_class=Response,
    summary="Disable a user: sign-in and every token end; the record stays (PATCH re-enables)",
)
async def disable_user(
    user_id: RowId, principal: AdminPrincipal, session: WriteSession, request: Request
) -> Response:
    user = await users.get_user(session, principal.tenant_id, user_id)
    await users.disable_user(session, user, now=utcnow())
    _forget_user_after_commit(request.app, session, user.id)
    return Response(status_code=204)
