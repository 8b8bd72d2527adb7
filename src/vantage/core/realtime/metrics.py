"""Prometheus metrics of the realtime hub, on the application's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DELIVERY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.015,
    0.025,
    0.035,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
TRANSPORTS = ("ws", "sse")


class HubMetrics:
    """Connections, queue depth, slow consumers, delivery latency and recovery outcomes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "vantage_realtime_connections",
            "Open realtime connections by transport",
            ["transport"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.queue_depth = Gauge(
            "vantage_realtime_queue_depth",
            "Frames waiting in outbound queues, summed over clients (sampled every second)",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.queue_depth_max = Gauge(
            "vantage_realtime_queue_depth_max",
            "Frames waiting in the fullest outbound queue (sampled every second)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.slow_consumers = Counter(
            "vantage_realtime_slow_consumer_disconnects",
            "Clients closed because they fell behind (4008 on WebSocket)",
            ["transport"],
            registry=registry,
        )
        self.delivery_latency = Histogram(
            "vantage_realtime_delivery_latency_seconds",
            "Time from publish to handing the frame to the connection, live messages only",
            ["transport"],
            buckets=DELIVERY_BUCKETS,
            registry=registry,
        )
        self.recoveries = Counter(
            "vantage_realtime_recoveries",
            "Subscriptions that asked to resume, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.published = Counter(
            "vantage_realtime_published_messages",
            "Messages published through this process",
            registry=registry,
        )
        # Children bound once: a labels() lookup per delivered frame would cost more than the send.
        self.connections_by = {name: self.connections.labels(name) for name in TRANSPORTS}
        self.latency_by = {name: self.delivery_latency.labels(name) for name in TRANSPORTS}
        self.slow_by = {name: self.slow_consumers.labels(name) for name in TRANSPORTS}
