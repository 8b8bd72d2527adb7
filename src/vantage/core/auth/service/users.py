"""User management inside one tenant: create, read, change role or password, disable.

Shared by the admin API and the ``vantage users`` commands. Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Role, User
from vantage.core.auth.repository import refresh_tokens as refresh_token_rows
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.errors import Conflict, NotFound, ValidationFailed

MIN_PASSWORD_LENGTH = 8
# argon2 accepts any length, but hashing megabytes on demand would be a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def normalize_email(email: str) -> str:
    """The canonical (trimmed, lower-case) form of an address; ValueError when it is not one."""
    candidate = email.strip().lower()
    if len(candidate) > MAX_EMAIL_LENGTH or not _EMAIL.match(candidate):
        raise ValueError("not a valid email address")
    return candidate


def check_password(password: str) -> str:
    """``password`` when it meets the length policy; ValueError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _valid(field: str, check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as error:
        raise ValidationFailed.field(("body", field), str(error)) from error


@dataclass(frozen=True)
class UserChanges:
    """A partial update; None leaves the field as it is."""

    role: Role | None = None
    active: bool | None = None
    password: str | None = None


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    tenant_id: int,
    email: str,
    password: str,
    role: Role,
) -> User:
    """A new active user; ``Conflict`` when the tenant already has that email."""
    email = _valid("email", normalize_email, email)
    if await user_rows.user_by_email(session, tenant_id, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        tenant_id=tenant_id,
        email=email,
        password_hash=await hasher.hash(_valid("password", check_password, password)),
        role=role.value,
        active=True,
        token_version=1,
    )
    try:
        return await user_rows.add_user(session, user)
    except IntegrityError as error:  # a concurrent create of the same email won the race
        raise Conflict(f"a user with email {email} already exists") from error


async def list_users(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    """One page of the tenant's users (by email) and the tenant's user count."""
    users = await user_rows.users_of_tenant(session, tenant_id, limit=limit, offset=offset)
    return users, await user_rows.count_users(session, tenant_id)


async def get_user(session: AsyncSession, tenant_id: int, user_id: int) -> User:
    """The tenant's user; ``NotFound`` for unknown ids and for other tenants' users alike."""
    user = await user_rows.user_in_tenant(session, tenant_id, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


async def update_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    user: User,
    changes: UserChanges,
    *,
    now: datetime,
) -> User:
    """Apply ``changes``; a new role or password ends every access token issued before."""
    await _keep_an_admin(session, user, changes)
    new_hash = None
    if changes.password is not None:
        new_hash = await hasher.hash(_valid("password", check_password, changes.password))
    return await _apply(session, user, changes, new_hash, now)


async def disable_user(session: AsyncSession, user: User, *, now: datetime) -> User:
    """Disable sign-in and every credential of the user; the row stays for history."""
    changes = UserChanges(active=False)
    await _keep_an_admin(session, user, changes)
    return await _apply(session, user, changes, None, now)


async def _apply(
    session: AsyncSession, user: User, changes: UserChanges, new_hash: str | None, now: datetime
) -> User:
    invalidate = False
    if changes.role is not None and changes.role.value != user.role:
        user.role = changes.role.value
        invalidate = True
    if new_hash is not None:
        user.password_hash = new_hash
        invalidate = True
    if changes.active is not None and changes.active != user.active:
        user.active = changes.active
        invalidate = True
    if new_hash is not None or changes.active is False:
        # A stolen refresh token must not outlive the password it was obtained with.
        await refresh_token_rows.revoke_user_tokens(session, user.id, now)
    if invalidate:
        user.token_version += 1
        user.updated_at = now
    await session.flush()
    return user


async def _keep_an_admin(session: AsyncSession, user: User, changes: UserChanges) -> None:
    if user.role != Role.ADMIN.value or not user.active:
        return
    demoted = changes.role is not None and changes.role != Role.ADMIN
    if not (demoted or changes.active is False):
        return
    if await user_rows.count_active_admins(session, user.tenant_id) <= 1:
        raise Conflict("a tenant must keep at least one active admin")
