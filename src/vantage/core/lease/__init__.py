"""Leases: one holder per name across every process of a deployment, expiring when it dies."""

from vantage.core.lease.runner import Lease, LeasedLoop

__all__ = ["Lease", "LeasedLoop"]
