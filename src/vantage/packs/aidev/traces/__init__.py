"""Trace formats: each parser turns one source record into ``TraceRecord``s (no I/O)."""
