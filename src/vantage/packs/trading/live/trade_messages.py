"""Trades as clients see them: on ``trading.trades`` and from the trades routes."""

from __future__ import annotations

from vantage.packs.trading.channels import TRADES_CHANNEL, Publisher
from vantage.packs.trading.domain.ledger import q10
from vantage.packs.trading.ingest.changes import AppliedBatch, FillFact
from vantage.packs.trading.schemas import TradeOut


def trade_of_fact(fill: FillFact) -> TradeOut:
    """A fill of a committed batch as clients see it."""
    return TradeOut(
        id=fill.fill_id,
        order_id=fill.order_id,
        strategy=fill.strategy,
        symbol=fill.symbol,
        side=fill.side,
        qty=fill.qty,
        price=fill.price,
        notional=q10(fill.qty * fill.price),
        fee=fill.fee,
        liquidity=None,
        ts=fill.ts,
        realized_pnl=fill.realized_pnl,
        slippage_bps=fill.slippage_bps,
        latency_ms=fill.latency_ms,
    )


async def publish_trades(publisher: Publisher, batch: AppliedBatch) -> None:
    """One message per committed batch that had fills: ``{"trades": [...]}`` in batch order."""
    if batch.fills:
        trades = [trade_of_fact(fill) for fill in batch.fills]
        await publisher.publish(batch.tenant_id, TRADES_CHANNEL, {"trades": trades})
