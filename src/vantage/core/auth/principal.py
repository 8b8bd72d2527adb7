"""Who a request acts for: a user or an API key, always inside one tenant, with scopes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from vantage.core.auth.models import Role


class Scope(StrEnum):
    READ = "read"
    INGEST = "ingest"
    ANALYZE = "analyze"
    ADMIN = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.ANALYST: frozenset({Scope.READ, Scope.ANALYZE}),
    Role.ADMIN: frozenset(Scope),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. Every domain query filters on ``tenant_id``."""

    kind: Literal["user", "api_key"]
    subject_id: int
    tenant_id: int
    scopes: frozenset[Scope]
    role: Role | None = None
    email: str | None = None

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes
