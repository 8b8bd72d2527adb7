"""Every operation declares the problem answers it can give, as application/problem+json."""

from __future__ import annotations

import httpx

PROBLEM = "application/problem+json"


async def test_every_operation_declares_its_problems(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    document = (await every_pack_sqlite_client.get("/openapi.json")).json()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "503" in responses, (method, path)
            # Aliases of other systems' URLs answer errors in those systems' JSON shape, and
            # problems refused before routing (control characters, body limits) as problems.
            compat = "compat" in operation.get("tags", ())
            media = ["application/json", PROBLEM] if compat else [PROBLEM]
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == media, (method, path, status)
    users = document["paths"]["/api/v1/admin/users/{user_id}"]
    assert {"401", "403", "404", "422", "429"} <= set(users["get"]["responses"])
    assert {"413", "422"} <= set(users["patch"]["responses"])
    orders = document["paths"]["/api/v1/commerce/orders"]["post"]["responses"]
    assert {"401", "403", "413", "422", "429"} <= set(orders)
    assert set(document["paths"]["/health/live"]["get"]["responses"]) == {"200", "503"}
    assert {"401", "403"} <= set(document["paths"]["/api/v1/stream/{channel}"]["get"]["responses"])
