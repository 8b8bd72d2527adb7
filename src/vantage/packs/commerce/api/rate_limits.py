"""The rate-limit groups of the commerce routes (policies set with ``VANTAGE_RATE_LIMITS``)."""

from __future__ import annotations

READ_RATE_LIMIT_GROUP = "commerce.read"
INGEST_RATE_LIMIT_GROUP = "commerce.ingest"
