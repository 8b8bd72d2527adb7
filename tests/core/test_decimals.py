from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import pytest
from pydantic import BaseModel, PlainSerializer

from vantage.core.decimals import PlainDecimal
from vantage.packs.aidev import schemas as aidev_schemas
from vantage.packs.gateway import schemas as gateway_schemas
from vantage.packs.gateway.domain.pricing import from_nano
from vantage.packs.trading import schemas as trading_schemas


class Amount(BaseModel):
    value: PlainDecimal
    maybe: PlainDecimal | None = None


def test_zero_and_small_amounts_are_written_in_plain_digits() -> None:
    assert str(from_nano(0)) == "0E-9"  # what str() would have written
    assert Amount(value=from_nano(0)).model_dump_json() == '{"value":"0.000000000","maybe":null}'
    assert Amount(value=Decimal("1E-7"), maybe=Decimal("-2.50")).model_dump(mode="json") == {
        "value": "0.0000001",
        "maybe": "-2.50",
    }
    assert Amount(value=Decimal("12.5")).model_dump()["value"] == Decimal("12.5")  # Python mode


@pytest.mark.parametrize("module", [gateway_schemas, aidev_schemas, trading_schemas])
def test_response_decimals_of_many_places_are_plain(module: ModuleType) -> None:
    """Costs (nine places) and trading amounts (ten) are written in plain digits."""
    for model in vars(module).values():
        if isinstance(model, type) and issubclass(model, BaseModel):
            for name, field in model.model_fields.items():
                plain = any(isinstance(m, PlainSerializer) for m in field.metadata)
                if field.annotation in (Decimal, Decimal | None) and not plain:
                    raise AssertionError(f"{model.__name__}.{name} is a bare Decimal")
