"""SQL of the ingest unit of work: dedupe, orders, positions, fills, system state (the rollups
are in ``rollups``).

Rows are written in key order so two concurrent batches lock them in the same order (no
deadlocks on PostgreSQL); SQLite serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import chunks, dialect_of, insert_for, insert_ignoring_conflict
from vantage.packs.trading.domain.ledger import Book
from vantage.packs.trading.ingest.rows import (
    FillRecord,
    OrderRecord,
)
from vantage.packs.trading.models import (
    Bar,
    Component,
    Fill,
    LogLine,
    Order,
    Position,
    RawEvent,
    StrategyState,
)

BarRowKey = tuple[int, str, str, datetime]
SQLITE_ROWS_PER_INSERT = 2000  # 4 parameters a row, well under the limit of 32,766
PositionKey = tuple[str, str]  # (strategy, symbol)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


RAW = _table(RawEvent)
BARS = _table(Bar)
ORDERS = _table(Order)
FILLS = _table(Fill)
POSITIONS = _table(Position)


async def insert_new_events(
    session: AsyncSession, tenant_id: int, events: list[tuple[str, str]], received_at: datetime
) -> set[str]:
    """Record (event id, kind) pairs; returns the ids that were new (the rest are duplicates)."""
    if not events:
        return set()
    events = sorted(events)
    if dialect_of(session) == "sqlite":
        return await _insert_new_events_sqlite(session, tenant_id, events, received_at)
    statement = insert_ignoring_conflict(session, RAW, [RAW.c.tenant_id, RAW.c.event_id]).returning(
        RAW.c.event_id
    )
    rows = [
        {"tenant_id": tenant_id, "event_id": event_id, "kind": kind, "received_at": received_at}
        for event_id, kind in events
    ]
    inserted: set[str] = set()
    for part in chunks(rows, 2000):
        inserted.update((await session.execute(statement, part)).scalars())
    return inserted


async def _insert_new_events_sqlite(
    session: AsyncSession, tenant_id: int, events: list[tuple[str, str]], received_at: datetime
) -> set[str]:
    # The hottest statement of ingest: one multi-row INSERT ... RETURNING per chunk, straight
    # to the driver, with the timestamp rendered once the way the column type stores it.
    connection = await session.connection()
    stored_at = _stored_datetime(session, received_at)
    inserted: set[str] = set()
    for part in chunks(events, SQLITE_ROWS_PER_INSERT):
        rows = ",".join(["(?, ?, ?, ?)"] * len(part))
        parameters: list[Any] = []
        for event_id, kind in part:
            parameters += (tenant_id, event_id, kind, stored_at)
        result = await connection.exec_driver_sql(
            "INSERT INTO trading_events (tenant_id, event_id, kind, received_at) "  # noqa: S608 - placeholders only
            f"VALUES {rows} ON CONFLICT DO NOTHING RETURNING event_id",
            tuple(parameters),
        )
        inserted.update(row[0] for row in result)
    return inserted


def _stored_datetime(session: AsyncSession, value: datetime) -> Any:
    process = RAW.c.received_at.type.bind_processor(session.get_bind().dialect)
    return process(value) if process else value


async def delete_events(session: AsyncSession, tenant_id: int, event_ids: Iterable[str]) -> None:
    """Forget raw events that were refused after all (so a corrected resend is accepted)."""
    for part in chunks(sorted(event_ids)):
        await session.execute(
            delete(RAW).where(RAW.c.tenant_id == tenant_id, RAW.c.event_id.in_(part))
        )


_ORDER_COLUMNS = [column for column in ORDERS.c if column.name != "tenant_id"]


def _order_record(row: Any) -> OrderRecord:
    values = row._mapping
    return OrderRecord(**{column.name: values[column.name] for column in _ORDER_COLUMNS})


async def lock_orders(
    session: AsyncSession, tenant_id: int, order_ids: Iterable[str]
) -> dict[str, OrderRecord]:
    """The orders with these ids, locked for the rest of the transaction."""
    found: dict[str, OrderRecord] = {}
    for part in chunks(sorted(set(order_ids))):
        query = (
            select(*_ORDER_COLUMNS)
            .where(ORDERS.c.tenant_id == tenant_id, ORDERS.c.order_id.in_(part))
            .order_by(ORDERS.c.order_id)
            .with_for_update()
        )
        for row in await session.execute(query):
            record = _order_record(row)
            found[record.order_id] = record
    return found


def _order_values(record: OrderRecord) -> dict[str, Any]:
    return {
        column.name: getattr(record, column.name)
        for column in _ORDER_COLUMNS
        if column.name != "id"
    }


async def create_orders(
    session: AsyncSession, tenant_id: int, records: Sequence[OrderRecord]
) -> dict[str, int]:
    """Insert new orders; returns the row id of each one created (a concurrent twin is not)."""
    if not records:
        return {}
    rows = [
        {"tenant_id": tenant_id, **_order_values(record)}
        for record in sorted(records, key=lambda r: r.order_id)
    ]
    statement = insert_ignoring_conflict(
        session, ORDERS, [ORDERS.c.tenant_id, ORDERS.c.order_id]
    ).returning(ORDERS.c.order_id, ORDERS.c.id)
    created: dict[str, int] = {}
    for part in chunks(rows, 200):
        for order_id, row_id in await session.execute(statement, part):
            created[order_id] = row_id
    return created


async def _update_by_id(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = [name for name in rows[0] if name != "row_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in names})
    )
    await session.execute(statement, rows)


async def update_orders(session: AsyncSession, records: Sequence[OrderRecord]) -> None:
    """Write back the orders a batch changed (by primary key)."""
    rows = [
        {"row_id": record.id, **_order_values(record)}
        for record in sorted(records, key=lambda r: r.order_id)
    ]
    await _update_by_id(session, ORDERS, rows)


async def lock_positions(
    session: AsyncSession, tenant_id: int, keys: Iterable[PositionKey], now: datetime
) -> dict[PositionKey, tuple[int, Book]]:
    """Positions for these (strategy, symbol) pairs, created flat when new, locked."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    zero = {"qty": 0, "avg_cost": 0, "realized_pnl": 0, "fees": 0, "updated_at": now}
    await session.execute(
        insert_ignoring_conflict(
            session, POSITIONS, [POSITIONS.c.tenant_id, POSITIONS.c.strategy, POSITIONS.c.symbol]
        ),
        [{"tenant_id": tenant_id, "strategy": s, "symbol": y, **zero} for s, y in wanted],
    )
    found: dict[PositionKey, tuple[int, Book]] = {}
    for strategy in sorted({strategy for strategy, _ in wanted}):
        symbols = [symbol for s, symbol in wanted if s == strategy]
        query = (
            select(POSITIONS)
            .where(
                POSITIONS.c.tenant_id == tenant_id,
                POSITIONS.c.strategy == strategy,
                POSITIONS.c.symbol.in_(symbols),
            )
            .order_by(POSITIONS.c.symbol)
            .with_for_update()
        )
        for row in await session.execute(query):
            book = Book(row.qty, row.avg_cost, row.realized_pnl, row.fees)
            found[(row.strategy, row.symbol)] = (row.id, book)
    return found


async def update_positions(session: AsyncSession, books: dict[int, Book], now: datetime) -> None:
    """Write back positions by row id."""
    rows = [
        {
            "row_id": row_id,
            "qty": book.qty,
            "avg_cost": book.avg_cost,
            "realized_pnl": book.realized_pnl,
            "fees": book.fees,
            "updated_at": now,
        }
        for row_id, book in sorted(books.items())
    ]
    await _update_by_id(session, POSITIONS, rows)


async def insert_fills(session: AsyncSession, tenant_id: int, fills: Sequence[FillRecord]) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "fill_id": f.fill_id,
            "order_ref": f.order_ref,
            "order_id": f.order_id,
            "strategy": f.strategy,
            "symbol": f.symbol,
            "side": f.side,
            "qty": f.qty,
            "price": f.price,
            "fee": f.fee,
            "liquidity": f.liquidity,
            "ts": f.ts,
            "realized_pnl": f.realized_pnl,
            "slippage_bps": f.slippage_bps,
            "latency_ms": f.latency_ms,
        }
        for f in fills
    ]
    if rows:
        await session.execute(FILLS.insert(), rows)


async def upsert_strategy_states(
    session: AsyncSession, tenant_id: int, states: list[dict[str, Any]]
) -> None:
    """Keep each strategy's most recent update (an older one arriving late changes nothing)."""
    if not states:
        return
    table = _table(StrategyState)
    statement = insert_for(session, table)
    new = statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.strategy],
        set_={
            name: new[name] for name in ("status", "positions", "marks", "signals", "reported_at")
        },
        where=new.reported_at >= table.c.reported_at,
    )
    rows = sorted(
        ({"tenant_id": tenant_id, **state} for state in states), key=lambda r: r["strategy"]
    )
    await session.execute(upsert, rows)


async def upsert_components(
    session: AsyncSession, tenant_id: int, beats: list[dict[str, Any]]
) -> None:
    """Count heartbeats and keep each component's latest state."""
    if not beats:
        return
    table = _table(Component)
    c = table.c
    statement = insert_for(session, table)
    new = statement.excluded
    newer = new.last_heartbeat_at >= c.last_heartbeat_at
    upsert = statement.on_conflict_do_update(
        index_elements=[c.tenant_id, c.name],
        set_={
            "heartbeats": c.heartbeats + new.heartbeats,
            "reported_status": case((newer, new.reported_status), else_=c.reported_status),
            "interval_seconds": case((newer, new.interval_seconds), else_=c.interval_seconds),
            "details": case((newer, new.details), else_=c.details),
            "last_heartbeat_at": case((newer, new.last_heartbeat_at), else_=c.last_heartbeat_at),
        },
    )
    rows = sorted(({"tenant_id": tenant_id, **beat} for beat in beats), key=lambda r: r["name"])
    await session.execute(upsert, rows)


async def insert_logs(session: AsyncSession, tenant_id: int, logs: list[dict[str, Any]]) -> None:
    if logs:
        await session.execute(
            _table(LogLine).insert(), [{"tenant_id": tenant_id, **line} for line in logs]
        )
