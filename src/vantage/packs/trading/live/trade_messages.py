"""Committed trades on ``trading.trades``, shaped as the trades routes answer them."""

from __future__ import annotations

from vantage.packs.trading.channels import TRADES_CHANNEL, Publisher
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.service.trades import trade_out


async def publish_trades(publisher: Publisher, batch: AppliedBatch) -> None:
    """One message per committed batch that had fills: ``{"trades": [...]}`` in batch order."""
    if batch.fills:
        trades = [trade_out(fill) for fill in batch.fills]
        await publisher.publish(batch.tenant_id, TRADES_CHANNEL, {"trades": trades})
