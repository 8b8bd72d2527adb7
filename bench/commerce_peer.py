"""The commerce benchmark's ratios: Vantage's reads against DuckDB's over the same file, and the
file import against the write floor measured in the same run.

The 10M / 1M ratio of each read needs two databases; ``bench.commerce_scaling`` measures it,
alternating between them.
"""

from __future__ import annotations

from typing import Any

from bench.commerce_duckdb import QUESTIONS, DuckDBPeer

# Vantage's p50 at most this share of DuckDB's; the import at least this share of the floor.
TARGETS = {"read_p50_over_duckdb": 0.1, "import_over_facts_floor": 0.7}


def _import_over_floor(file_import: dict[str, Any] | None) -> float | None:
    if not file_import or "facts_only_floor" not in file_import:
        return None
    floor = file_import["facts_only_floor"]["write_facts_orders_per_s"]
    return round(file_import["orders_per_s"] / floor, 3) if floor else None


def _duckdb_section(peer: DuckDBPeer, orders: int) -> dict[str, Any]:
    return {
        "name": "duckdb",
        "version": peer.version,
        "load_seconds": round(peer.load_seconds, 2),
        "load_orders_per_s": round(orders / peer.load_seconds) if peer.load_seconds else None,
        "lines": peer.rows,
    }


def peer_report(
    peer: DuckDBPeer | None,
    file_import: dict[str, Any] | None,
    reads: dict[str, Any],
    orders: int,
) -> dict[str, Any]:
    """``peer`` (DuckDB's load) and ``ratios`` with their targets, for the JSON line."""
    found: dict[str, Any] = {"import_over_facts_floor": _import_over_floor(file_import)}
    met: dict[str, bool] = {}
    if found["import_over_facts_floor"] is not None:
        met["import_ge_0.7x_floor"] = (
            found["import_over_facts_floor"] >= TARGETS["import_over_facts_floor"]
        )
    section: dict[str, Any] = {}
    if peer is not None:
        section["peer"] = _duckdb_section(peer, orders)
        for name in QUESTIONS:
            value = reads[name].get("p50_over_duckdb")
            found[f"{name}_p50_over_duckdb"] = value
            met[f"{name}_le_0.1x_duckdb"] = (
                value is not None and value <= TARGETS["read_p50_over_duckdb"]
            )
        if file_import:
            seconds = file_import["seconds"]
            found["import_seconds_over_duckdb_load"] = round(seconds / peer.load_seconds, 2)
    return {**section, "ratios": found, "ratio_targets": TARGETS, "ratios_met": met}
