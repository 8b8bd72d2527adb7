"""``/api/v1/auth``: sign in (JSON or OAuth2 password form), refresh and sign out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from vantage.core.auth.context import auth_context
from vantage.core.auth.schemas import RefreshRequest, TokenOut, TokenRequest
from vantage.core.auth.service import sessions
from vantage.core.client_address import client_ip
from vantage.core.errors import ValidationFailed, VantageError
from vantage.core.openapi import request_body
from vantage.core.text import LINE_PATTERN

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_TOKEN_BODY = request_body(
    TokenRequest,
    other_media_types={
        FORM: {
            "type": "object",
            "required": ["username", "password"],
            "properties": {
                "grant_type": {"type": "string", "enum": ["password"]},
                "username": {"type": "string", "pattern": LINE_PATTERN},
                "password": {"type": "string", "format": "password"},
                "tenant": {"type": "string", "pattern": LINE_PATTERN},
            },
        }
    },
)


class UnsupportedMediaType(VantageError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


def _field_errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *item["loc"]], "message": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False)
    ]


async def _token_request(request: Request) -> TokenRequest:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media_type == JSON:
            return TokenRequest.model_validate_json(await request.body())
        if media_type == FORM:
            form = await request.form()
            grant_type = form.get("grant_type")
            if grant_type not in (None, "password"):
                raise ValidationFailed.field(("body", "grant_type"), "only 'password' is supported")
            fields = {name: form.get(name) for name in ("username", "password", "tenant")}
            return TokenRequest.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise ValidationFailed("invalid sign-in request", errors=_field_errors(error)) from error
    raise UnsupportedMediaType(f"send the credentials as {JSON} or {FORM}")


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Sign in: email and password for an access and a refresh token",
    openapi_extra=_TOKEN_BODY,
    responses={401: _PROBLEM, 429: _PROBLEM},
)
async def issue_token(request: Request) -> TokenOut:
    credentials = await _token_request(request)
    pair = await sessions.sign_in(
        auth_context(request.app),
        email=credentials.login,
        password=credentials.password,
        tenant_slug=credentials.tenant,
        client_ip=client_ip(request),
    )
    return TokenOut(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/refresh",
    response_model=TokenOut,
    summary="Spend a refresh token for a new pair (each refresh token works once)",
    responses={401: _PROBLEM},
)
async def refresh(body: RefreshRequest, request: Request) -> TokenOut:
    pair = await sessions.rotate(auth_context(request.app), body.refresh_token)
    return TokenOut(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Revoke the refresh token and every token rotated from the same sign-in",
)
async def logout(body: RefreshRequest, request: Request) -> Response:
    await sessions.sign_out(auth_context(request.app), body.refresh_token)
    return Response(status_code=204)
