"""The client side of the WebSocket protocol: the ops a client may send, validated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from vantage.core.realtime.messages import Position


class _Op(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Since(_Op):
    epoch: str = Field(min_length=1, max_length=64)
    offset: int = Field(ge=0)

    def position(self) -> Position:
        return Position(self.epoch, self.offset)


class AuthOp(_Op):
    op: Literal["auth"]
    token: str = Field(min_length=1, max_length=8192)


class SubscribeOp(_Op):
    op: Literal["subscribe"]
    channel: str = Field(min_length=1, max_length=256)
    since: Since | None = None


class UnsubscribeOp(_Op):
    op: Literal["unsubscribe"]
    channel: str = Field(min_length=1, max_length=256)


class PingOp(_Op):
    op: Literal["ping"]


class PublishOp(_Op):
    op: Literal["publish"]
    channel: str = Field(min_length=1, max_length=256)
    data: Any


ClientOp = Annotated[
    AuthOp | SubscribeOp | UnsubscribeOp | PingOp | PublishOp, Field(discriminator="op")
]
_client_op: TypeAdapter[ClientOp] = TypeAdapter(ClientOp)


def parse_op(text: str | bytes) -> ClientOp:
    """Validate one client frame; raises pydantic.ValidationError."""
    return _client_op.validate_json(text)


def describe(error: ValidationError) -> str:
    """One line naming what was wrong with a client frame."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{where}: {first['msg']}"
