"""A stand-in for authentication in tests of routers that take principal dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from vantage.core.auth.models import Role
from vantage.core.auth.principal import ROLE_SCOPES, Principal
from vantage.core.errors import Unauthorized

TEST_TENANT_HEADER = "X-Test-Tenant"


def principal_from_test_header(
    x_test_tenant: Annotated[int | None, Header(alias=TEST_TENANT_HEADER)] = None,
) -> Principal:
    """TEST DOUBLE: an admin of the tenant named by ``X-Test-Tenant``; 401 without the header."""
    if x_test_tenant is None:
        raise Unauthorized(f"tests authenticate with the {TEST_TENANT_HEADER} header")
    return Principal(
        kind="user",
        subject_id=1,
        tenant_id=x_test_tenant,
        scopes=ROLE_SCOPES[Role.ADMIN],
        role=Role.ADMIN,
    )
