"""Trading figures on ``/metrics``: P&L, positions, fill rate, latency, slippage, events/s and
the collectors' breakers, read from the latest snapshot of each tenant at scrape time.

Only the process holding the collectors' lease has snapshots, so only it exports these series:
summed over the workers of a host, each figure counts once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from vantage.packs.trading.live.collectors.snapshot import MetricsSnapshot

PREFIX = "vantage_trading_"


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=labels)


class TradingMetricsExporter(Collector):
    """A Prometheus collector over the snapshots the lease holder keeps."""

    def __init__(self, snapshots: Callable[[], Mapping[int, MetricsSnapshot]]) -> None:
        self._snapshots = snapshots

    def collect(self) -> Iterator[Metric]:
        """One family per figure, a sample per tenant (and strategy, symbol, collector)."""
        snapshots = dict(self._snapshots())
        yield from self._strategies(snapshots)
        yield from self._execution(snapshots)
        yield from self._collectors(snapshots)

    def _strategies(self, snapshots: dict[int, MetricsSnapshot]) -> Iterator[Metric]:
        labels = ["tenant", "strategy"]
        realized = _gauge("realized_pnl", "Realized P&L (account currency)", labels)
        unrealized = _gauge("unrealized_pnl", "Unrealized P&L at the current mark", labels)
        daily = _gauge("daily_pnl", "P&L of the session day", labels)
        positions = _gauge("position_qty", "Open position (signed quantity)", [*labels, "symbol"])
        for tenant_id, snapshot in snapshots.items():
            for strategy in snapshot.strategies:
                key = [str(tenant_id), strategy.strategy]
                realized.add_metric(key, float(strategy.realized_pnl))
                unrealized.add_metric(key, float(strategy.unrealized_pnl))
                daily.add_metric(key, float(strategy.daily_pnl))
                for position in strategy.positions:
                    positions.add_metric([*key, position.symbol], float(position.qty))
        yield from (realized, unrealized, daily, positions)

    def _execution(self, snapshots: dict[int, MetricsSnapshot]) -> Iterator[Metric]:
        tenant = ["tenant"]
        fill_rate = _gauge("fill_rate", "Filled / ordered quantity of the session", tenant)
        slippage = _gauge("slippage_bps", "Arrival slippage of the session's fills (bps)", tenant)
        latency = _gauge("latency_ms", "Submission to first fill (ms)", [*tenant, "quantile"])
        events = _gauge("events_per_second", "Events ingested per second", tenant)
        orders = _gauge("orders", "Orders of the session by state", [*tenant, "state"])
        for tenant_id, snapshot in snapshots.items():
            key = [str(tenant_id)]
            execution = snapshot.execution
            if execution.fill_rate is not None:
                fill_rate.add_metric(key, execution.fill_rate)
            if execution.slippage_bps is not None:
                slippage.add_metric(key, execution.slippage_bps)
            for quantile, value in (
                ("0.5", execution.latency_ms.p50),
                ("0.9", execution.latency_ms.p90),
                ("0.99", execution.latency_ms.p99),
            ):
                if value is not None:
                    latency.add_metric([*key, quantile], value)
            for state, count in execution.orders.model_dump().items():
                orders.add_metric([*key, state], count)
            events.add_metric(key, snapshot.system.events_per_second)
        yield from (fill_rate, slippage, latency, events, orders)

    def _collectors(self, snapshots: dict[int, MetricsSnapshot]) -> Iterator[Metric]:
        labels = ["tenant", "collector"]
        isolated = _gauge("collector_isolated", "1 while the collector's breaker is open", labels)
        errors = CounterMetricFamily(
            PREFIX + "collector_errors", "Calls into the collector that raised", labels=labels
        )
        for tenant_id, snapshot in snapshots.items():
            for collector in snapshot.collectors:
                key = [str(tenant_id), collector.name]
                isolated.add_metric(key, 1.0 if collector.breaker.state == "open" else 0.0)
                errors.add_metric(key, collector.statistics.errors)
        yield from (isolated, errors)
