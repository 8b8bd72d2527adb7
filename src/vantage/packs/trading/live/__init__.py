"""The live state: collectors fed by committed batches, under a lease, one per deployment."""
