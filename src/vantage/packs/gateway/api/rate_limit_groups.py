"""The rate-limit groups of the gateway's routers (policies: ``VANTAGE_RATE_LIMITS``).

The chat routes (``/api/v1/chat/*``, ``/v1/chat/completions``) are in none of these: they count
requests and tokens per user and per API key, with the gateway's own quotas, in the groups
``gateway.requests`` and ``gateway.tokens`` (``service/limits.py``); callers without a credential
spend ``gateway.requests`` per client address on the core's policy.
"""

from __future__ import annotations

READ_GROUP = "gateway.read"
ADMIN_GROUP = "gateway.admin"
