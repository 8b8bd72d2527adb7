"""TEMPORARY until core auth is merged: every request acts for the tenant in ``X-Tenant``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vantage.core.auth.principal import Principal, Scope


def _principal(request: Request) -> Principal:
    return Principal(
        kind="user",
        subject_id=0,
        tenant_id=int(request.headers.get("X-Tenant", "1")),
        scopes=frozenset(Scope),
    )


ReadPrincipal = Annotated[Principal, Depends(_principal)]
IngestPrincipal = Annotated[Principal, Depends(_principal)]
