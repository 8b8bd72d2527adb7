"""The WebSocket protocol end to end: a real uvicorn server and the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.core.realtime.conftest import ServerFactory
from tests.support.realtime import (
    LiveServer,
    close_code,
    open_socket,
    receive,
    receive_messages,
    subscribe,
)


async def test_messages_arrive_in_order_with_their_positions(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    answer = await subscribe(ws, "rtt.feed")
    assert answer["recovered"] is False and answer["offset"] == 0
    positions = [await server.hub.publish(1, "rtt.feed", {"n": n}) for n in range(5)]
    messages = await receive_messages(ws, 5)
    assert [m["data"] for m in messages] == [{"n": n} for n in range(5)]
    assert [(m["epoch"], m["offset"]) for m in messages] == positions  # positions are tuples
    assert {m["channel"] for m in messages} == {"rtt.feed"}
    assert all(isinstance(m["ts"], int) for m in messages)
    await ws.close()


async def test_ping_is_answered_with_pong(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    await ws.send(json.dumps({"op": "ping"}))
    pong = await receive(ws)
    assert pong["op"] == "pong" and isinstance(pong["ts"], int)
    await ws.close()


async def test_no_auth_message_within_the_timeout_closes_4001(live_server: ServerFactory) -> None:
    async with live_server(realtime_auth_timeout_seconds=0.3) as server:
        ws = await open_socket(server.ws_url, as_user=None)
        assert await close_code(ws) == 4001
        assert ws.close_reason == "unauthorized"


@pytest.mark.parametrize(
    "first",
    [
        {"op": "auth", "token": "not-a-known-token"},
        {"op": "subscribe", "channel": "rtt.feed"},
        {"op": "auth"},
    ],
)
async def test_a_bad_first_message_closes_4001(server: LiveServer, first: dict[str, str]) -> None:
    ws = await open_socket(server.ws_url, as_user=None)
    await ws.send(json.dumps(first))
    assert await close_code(ws) == 4001


async def test_subscribing_to_a_forbidden_channel_closes_4003(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    await ws.send(json.dumps({"op": "subscribe", "channel": "rtt.admin"}))
    assert await close_code(ws) == 4003
    assert ws.close_reason == "forbidden channel"


async def test_publishing_without_the_publish_scope_closes_4003(server: LiveServer) -> None:
    reader = await open_socket(server.ws_url, as_user="t1-reader")
    await reader.send(json.dumps({"op": "publish", "channel": "rtt.feed", "data": {}}))
    assert await close_code(reader) == 4003
    ingest = await open_socket(server.ws_url, as_user="t1-ingest")
    await ingest.send(json.dumps({"op": "publish", "channel": "rtt.server", "data": {}}))
    assert await close_code(ingest) == 4003  # server-side only, whatever the scope


async def test_an_ingest_client_publishes_to_subscribers_of_its_tenant(server: LiveServer) -> None:
    listener = await open_socket(server.ws_url, as_user="t1-reader")
    await subscribe(listener, "rtt.feed:BTC")
    publisher = await open_socket(server.ws_url, as_user="t1-ingest")
    await publisher.send(json.dumps({"op": "publish", "channel": "rtt.feed:BTC", "data": {"p": 1}}))
    ack = await receive(publisher)
    assert ack["op"] == "published" and ack["channel"] == "rtt.feed:BTC" and ack["offset"] == 1
    [message] = await receive_messages(listener, 1)
    assert message["data"] == {"p": 1} and message["epoch"] == ack["epoch"]
    await listener.close()
    await publisher.close()


async def test_mistakes_are_answered_with_error_ops_and_the_socket_stays_open(
    server: LiveServer,
) -> None:
    ws = await open_socket(server.ws_url)
    cases = [
        ({"op": "subscribe", "channel": "rtt.unknown"}, "NOT_FOUND"),
        ({"op": "subscribe", "channel": "not a channel"}, "VALIDATION_ERROR"),
        (
            {"op": "subscribe", "channel": "rtt.feed", "since": {"epoch": "e", "offset": -1}},
            "VALIDATION_ERROR",
        ),
        ({"op": "dance"}, "VALIDATION_ERROR"),
        ({"op": "unsubscribe", "channel": "rtt.feed"}, "NOT_FOUND"),
        ({"op": "auth", "token": "t2-reader"}, "UNAUTHORIZED"),  # another identity
    ]
    for op, code in cases:
        await ws.send(json.dumps(op))
        answer = await receive(ws)
        assert (answer["op"], answer["code"]) == ("error", code), (op, answer)
    await ws.send("{not json")
    assert (await receive(ws))["code"] == "VALIDATION_ERROR"
    assert (await subscribe(ws, "rtt.feed"))["channel"] == "rtt.feed"
    await ws.close()


async def test_unsubscribe_stops_delivery(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    await subscribe(ws, "rtt.feed")
    await subscribe(ws, "rtt.feed:x")
    await ws.send(json.dumps({"op": "unsubscribe", "channel": "rtt.feed"}))
    assert await receive(ws) == {"op": "unsubscribed", "channel": "rtt.feed"}
    await server.hub.publish(1, "rtt.feed", {"gone": True})
    await server.hub.publish(1, "rtt.feed:x", {"kept": True})
    [message] = await receive_messages(ws, 1)
    assert message["channel"] == "rtt.feed:x"
    await ws.close()


async def test_the_number_of_subscriptions_per_connection_is_bounded(
    live_server: ServerFactory,
) -> None:
    async with live_server(realtime_max_subscriptions=2) as server:
        ws = await open_socket(server.ws_url)
        await subscribe(ws, "rtt.feed:a")
        await subscribe(ws, "rtt.feed:b")
        await subscribe(ws, "rtt.feed:b")  # a resubscribe replaces, it does not add
        await ws.send(json.dumps({"op": "subscribe", "channel": "rtt.feed:c"}))
        assert (await receive(ws))["code"] == "VALIDATION_ERROR"
        await ws.close()


async def test_an_oversized_frame_closes_1009(live_server: ServerFactory) -> None:
    async with live_server(realtime_max_inbound_bytes=1024) as server:
        ws = await open_socket(server.ws_url)
        await ws.send(json.dumps({"op": "publish", "channel": "rtt.feed", "data": "x" * 2000}))
        assert await close_code(ws) == 1009


async def test_a_tenant_never_receives_another_tenants_messages(server: LiveServer) -> None:
    one = await open_socket(server.ws_url, as_user="t1-reader")
    two = await open_socket(server.ws_url, as_user="t2-reader")
    first = await subscribe(one, "rtt.feed")
    second = await subscribe(two, "rtt.feed")
    assert first["epoch"] != second["epoch"]
    for n in range(3):
        await server.hub.publish(1, "rtt.feed", {"tenant": 1, "n": n})
    await server.hub.publish(2, "rtt.feed", {"tenant": 2, "n": 0})
    assert [m["data"]["tenant"] for m in await receive_messages(one, 3)] == [1, 1, 1]
    # Tenant 2's first message is its own: none of tenant 1's came before it.
    [own] = await receive_messages(two, 1)
    assert own["data"] == {"tenant": 2, "n": 0} and own["offset"] == 1
    # Resuming with tenant 1's position does not reach tenant 1's history either.
    late = await open_socket(server.ws_url, as_user="t2-reader")
    answer = await subscribe(late, "rtt.feed", {"epoch": first["epoch"], "offset": 0})
    assert answer["recovered"] is False
    for ws in (one, two, late):
        await ws.close()


async def test_a_foreign_origin_is_refused_and_a_listed_one_accepted(
    live_server: ServerFactory,
) -> None:
    async with live_server(cors_origins=["https://dash.example.com"]) as server:
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url, origin="https://evil.example.com")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        assert json.loads(refused.value.response.body)["code"] == "FORBIDDEN"
        listed = await open_socket(server.ws_url, origin="https://dash.example.com")
        same = await open_socket(server.ws_url, origin=f"http://127.0.0.1:{server.port}")
        for ws in (listed, same):
            assert (await subscribe(ws, "rtt.feed"))["op"] == "subscribed"
            await ws.close()


async def test_stopping_the_hub_closes_sockets_1001(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    await subscribe(ws, "rtt.feed")
    await server.hub.stop()
    assert await close_code(ws) == 1001
    assert ws.close_reason == "server going away"
    with pytest.raises(InvalidStatus) as refused:
        await connect(server.ws_url)
    assert refused.value.response.status_code == 503
    await server.hub.start()  # so the server's own shutdown finds it running


async def test_metrics_describe_connections_and_deliveries(server: LiveServer) -> None:
    ws = await open_socket(server.ws_url)
    await subscribe(ws, "rtt.feed")
    await server.hub.publish(1, "rtt.feed", {})
    await receive_messages(ws, 1)
    await subscribe(ws, "rtt.feed", {"epoch": "gone", "offset": 3})
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        text = (await http.get("/metrics")).text
    assert 'vantage_realtime_connections{transport="ws"} 1.0' in text
    assert 'vantage_realtime_delivery_latency_seconds_count{transport="ws"} 1.0' in text
    assert 'vantage_realtime_recoveries_total{outcome="epoch_changed"} 1.0' in text
    assert "vantage_realtime_published_messages_total 1.0" in text
    assert "vantage_realtime_slow_consumer_disconnects_total" in text
    assert "vantage_realtime_queue_depth " in text
    await ws.close()
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        text = (await http.get("/metrics")).text
    assert 'vantage_realtime_connections{transport="ws"} 0.0' in text
