"""Applying each tenant's committed batches to the collectors once and in version order."""

from __future__ import annotations

import time

from vantage.packs.trading.ingest.changes import AppliedBatch


class VersionGate:
    """Applies each tenant's batches once and in version order, holding early ones back."""

    def __init__(self) -> None:
        self.applied: dict[int, int] = {}
        self.pending: dict[int, dict[int, AppliedBatch]] = {}
        self.gap_since: dict[int, float] = {}

    def reset(self, tenant_id: int, version: int) -> None:
        """Start ``tenant_id`` over at ``version`` (after a rebuild); drop what that covers."""
        self.applied[tenant_id] = version
        held = self.pending.get(tenant_id, {})
        for stale in [v for v in held if v <= version]:
            del held[stale]

    def admit(self, batch: AppliedBatch) -> list[AppliedBatch]:
        """The batches ready to apply now (this one and any it unblocked), in order."""
        tenant = batch.tenant_id
        current = self.applied.get(tenant, 0)
        if batch.version <= current:
            return []
        held = self.pending.setdefault(tenant, {})
        held[batch.version] = batch
        ready: list[AppliedBatch] = []
        while current + 1 in held:
            current += 1
            ready.append(held.pop(current))
        self.applied[tenant] = current
        if held:
            self.gap_since.setdefault(tenant, time.monotonic())
        else:
            self.gap_since.pop(tenant, None)
        return ready

    def stalled(self, timeout: float) -> list[int]:
        """Tenants waiting longer than ``timeout`` for a batch that may never come."""
        now = time.monotonic()
        return [tenant for tenant, since in self.gap_since.items() if now - since > timeout]
