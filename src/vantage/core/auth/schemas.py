"""Request and response bodies of the auth and admin endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from vantage.core.auth.models import ApiKey, Role, User
from vantage.core.auth.principal import Principal, Scope
from vantage.core.auth.service.api_key_format import decode_scopes
from vantage.core.auth.service.users import (
    EMAIL_PATTERN,
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    normalize_email,
)
from vantage.core.instants import Instant
from vantage.core.openapi_schema import Documented
from vantage.core.text import Line

Email = Annotated[
    Line,
    Field(max_length=MAX_EMAIL_LENGTH),
    AfterValidator(normalize_email),
    Documented(format="email", pattern=EMAIL_PATTERN),
]
NewPassword = Annotated[
    str,
    AfterValidator(check_password),
    # Hashed, never stored or shown: any character may be part of a password.
    Documented(format="password", minLength=MIN_PASSWORD_LENGTH, maxLength=MAX_PASSWORD_LENGTH),
]
TenantSlug = Annotated[Line, Field(min_length=1, max_length=64)]
OpaqueToken = Annotated[Line, Field(min_length=1, max_length=512)]


class TokenRequest(BaseModel):
    """Sign-in: ``username`` (OAuth2 form name) or ``email``, a password and the tenant slug."""

    model_config = ConfigDict(extra="ignore")

    username: Annotated[Line | None, Field(max_length=MAX_EMAIL_LENGTH)] = None
    email: Annotated[Line | None, Field(max_length=MAX_EMAIL_LENGTH)] = None
    password: Annotated[
        str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH), Documented(format="password")
    ]
    tenant: TenantSlug | None = Field(
        default=None, description="Tenant slug; the default tenant when omitted"
    )

    @model_validator(mode="after")
    def _one_login_name(self) -> TokenRequest:
        if not (self.username or self.email):
            raise ValueError("give username or email")
        if self.username and self.email and self.username.lower() != self.email.lower():
            raise ValueError("username and email differ; give one of them")
        return self

    @property
    def login(self) -> str:
        return self.email or self.username or ""


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str


class RefreshRequest(BaseModel):
    refresh_token: OpaqueToken


class MeOut(BaseModel):
    kind: Literal["user", "api_key"]
    id: int
    tenant_id: int
    email: str | None
    role: Role | None
    scopes: list[Scope]

    @classmethod
    def of(cls, principal: Principal) -> MeOut:
        return cls(
            kind=principal.kind,
            id=principal.subject_id,
            tenant_id=principal.tenant_id,
            email=principal.email,
            role=principal.role,
            scopes=sorted(principal.scopes),
        )


class UserOut(BaseModel):
    id: int
    email: str
    role: Role
    active: bool
    is_demo: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            role=Role(user.role),
            active=user.active,
            is_demo=user.is_demo,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserCreate(BaseModel):
    email: Email
    password: NewPassword
    role: Role = Role.VIEWER


class UserUpdate(BaseModel):
    """Only the fields sent change. A new role or password ends the user's older tokens."""

    role: Role | None = None
    active: bool | None = None
    password: NewPassword | None = None


class ApiKeyCreate(BaseModel):
    name: Annotated[Line, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))]
    expires_at: Instant | None = Field(default=None, description="Never expires when null")


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=sorted(decode_scopes(key.scopes)),
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            created_by_id=key.created_by_id,
            created_at=key.created_at,
        )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key; shown only in this response")
