"""Sign-in, refresh-token rotation and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.context import AuthContext, invalid_credentials
from vantage.core.auth.login_guard import account_key
from vantage.core.auth.models import DEFAULT_TENANT_SLUG, RefreshToken, Role, User
from vantage.core.auth.repository import refresh_tokens as refresh_token_rows
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service.tokens import new_family_id, new_refresh_token, sha256_hex
from vantage.core.db import utcnow

logger = structlog.get_logger("vantage.auth")

SIGN_IN_FAILED = "Incorrect email or password."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


async def sign_in(
    auth: AuthContext, *, email: str, password: str, tenant_slug: str | None, client_ip: str
) -> TokenPair:
    """Tokens for valid credentials; one identical 401 for every kind of failure.

    Unknown tenant, unknown email, wrong password and disabled account all cost one argon2
    verification and answer the same, so neither the message nor the time tells them apart.
    """
    slug = tenant_slug or DEFAULT_TENANT_SLUG
    await auth.login_guard.admit(account=account_key(slug, email), client_ip=client_ip)
    dummy_hash = await auth.login_guard.dummy_hash(auth.hasher)
    user = await _find_user(auth, slug, email)
    matches = await auth.hasher.verify(password, user.password_hash if user else dummy_hash)
    if user is None or not matches or not user.active:
        raise invalid_credentials(SIGN_IN_FAILED)
    now = utcnow()
    async with auth.database.transaction() as session:
        await refresh_token_rows.delete_expired_tokens(session, user.id, now)
        refresh = await _mint_refresh(auth, session, user, new_family_id(), now)
    logger.info("signed in", user_id=user.id, tenant_id=user.tenant_id)
    return _pair(auth, user, refresh, now)


async def rotate(auth: AuthContext, presented: str) -> TokenPair:
    """Spend a refresh token for a new pair; reuse of a spent token revokes its whole family."""
    token_hash = sha256_hex(presented)
    now = utcnow()
    pair: TokenPair | None = None
    async with auth.database.transaction() as session:
        claimed = await refresh_token_rows.claim_refresh_token(session, token_hash, now)
        stored = await refresh_token_rows.refresh_token_by_hash(session, token_hash)
        if stored is not None and claimed:
            pair = await _replace(auth, session, stored, now)
        elif stored is not None and stored.used_at is not None:
            revoked = await refresh_token_rows.revoke_family(session, stored.family_id, now)
            logger.warning(
                "refresh token reused; family revoked",
                user_id=stored.user_id,
                family_id=stored.family_id,
                live_tokens_revoked=revoked,
            )
    # Raised after the commit: the revocation above must stick although the request fails.
    if pair is None:
        raise invalid_credentials("The refresh token is invalid, expired or already used.")
    return pair


async def sign_out(auth: AuthContext, presented: str) -> None:
    """Revoke the family of a refresh token; unknown tokens are ignored (nothing to revoke)."""
    async with auth.database.transaction() as session:
        stored = await refresh_token_rows.refresh_token_by_hash(session, sha256_hex(presented))
        if stored is not None:
            await refresh_token_rows.revoke_family(session, stored.family_id, utcnow())


async def _find_user(auth: AuthContext, tenant_slug: str, email: str) -> User | None:
    async with auth.primary_reader() as session:
        tenant = await tenant_rows.tenant_by_slug(session, tenant_slug)
        if tenant is None:
            return None
        return await user_rows.user_by_email(session, tenant.id, email.strip())


async def _replace(
    auth: AuthContext, session: AsyncSession, spent: RefreshToken, now: datetime
) -> TokenPair | None:
    user = await user_rows.user_by_id(session, spent.user_id)
    if user is None or not user.active or user.tenant_id != spent.tenant_id:
        await refresh_token_rows.revoke_family(session, spent.family_id, now)
        return None
    refresh = await _mint_refresh(auth, session, user, spent.family_id, now)
    await refresh_token_rows.link_replacement(session, spent.id, refresh.row_id)
    return _pair(auth, user, refresh, now)


@dataclass(frozen=True)
class _MintedRefresh:
    token: str
    row_id: int


async def _mint_refresh(
    auth: AuthContext, session: AsyncSession, user: User, family_id: str, now: datetime
) -> _MintedRefresh:
    token = new_refresh_token()
    row = await refresh_token_rows.add_refresh_token(
        session,
        RefreshToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family_id,
            token_hash=sha256_hex(token),
            expires_at=now + timedelta(seconds=auth.settings.refresh_token_ttl_seconds),
        ),
    )
    return _MintedRefresh(token=token, row_id=row.id)


def _pair(auth: AuthContext, user: User, refresh: _MintedRefresh, now: datetime) -> TokenPair:
    access = auth.tokens.issue(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        token_version=user.token_version,
        now=now,
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh.token,
        expires_in=int(auth.tokens.ttl.total_seconds()),
    )
