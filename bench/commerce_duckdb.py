"""DuckDB over the commerce benchmark's generated file: what an analyst would run instead.

The file is loaded once with ``read_csv`` into an in-memory table of raw lines (one row per
order line, as written), and each of Vantage's reads is asked again as SQL over those lines,
with the pack's definitions (revenue = completed orders' line amounts, transactions = orders of
any status, the dashboard's window = the last 30 whole UTC days, today included). DuckDB runs
in this process with every core; Vantage answers over HTTP from one worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

COLUMNS = {
    "order_id": "VARCHAR", "customer_id": "VARCHAR", "country": "VARCHAR",
    "placed_at": "TIMESTAMPTZ", "status": "VARCHAR", "product_id": "VARCHAR",
    "product_name": "VARCHAR", "quantity": "BIGINT", "unit_price": "DECIMAL(18,4)",
}  # fmt: skip

# One statement per figure of the dashboard: totals by status, top 5 products, daily trend.
DASHBOARD = (
    """SELECT status, COUNT(DISTINCT order_id), SUM(quantity * unit_price), SUM(quantity)
    FROM lines WHERE placed_at >= $start AND placed_at < $end GROUP BY status""",
    """SELECT product_id, SUM(quantity * unit_price) AS revenue FROM lines
    WHERE status = 'completed' AND placed_at >= $start AND placed_at < $end
    GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT 5""",
    """SELECT CAST(timezone('UTC', placed_at) AS DATE) AS day,
        COUNT(DISTINCT order_id) FILTER (WHERE status = 'completed'),
        COUNT(DISTINCT customer_id) FILTER (WHERE status = 'completed'),
        SUM(quantity * unit_price) FILTER (WHERE status = 'completed')
    FROM lines WHERE placed_at >= $start AND placed_at < $end GROUP BY day ORDER BY day""",
)
REVENUE_BY_DAY = (
    """SELECT CAST(timezone('UTC', placed_at) AS DATE) AS day,
        SUM(quantity * unit_price), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id)
    FROM lines WHERE status = 'completed' AND placed_at >= $start AND placed_at < $end
    GROUP BY day ORDER BY day""",
)
# The first page of customers by lifetime value: purchases are completed, identified orders.
TOP_CUSTOMERS = (
    """SELECT customer_id, SUM(quantity * unit_price) AS ltv, COUNT(DISTINCT order_id),
        MIN(placed_at), MAX(placed_at)
    FROM lines WHERE status = 'completed' AND customer_id IS NOT NULL
    GROUP BY customer_id ORDER BY ltv DESC, customer_id DESC LIMIT 20""",
)
QUESTIONS = {"dashboard": (DASHBOARD, 30), "revenue_365d": (REVENUE_BY_DAY, 365),
             "customers_top": (TOP_CUSTOMERS, None)}  # fmt: skip


def _window(days: int | None) -> dict[str, datetime]:
    """The last ``days`` whole UTC days, today included, as Vantage's ``?days=`` reads it."""
    if days is None:
        return {}
    end = datetime.combine(date.today() + timedelta(days=1), datetime.min.time(), UTC)
    return {"start": end - timedelta(days=days), "end": end}


class DuckDBPeer:
    """The generated file in DuckDB; ``question(name)`` runs that read's SQL once."""

    def __init__(self, csv_path: Path) -> None:
        import duckdb

        self.connection: Any = duckdb.connect(":memory:")
        self.connection.execute("SET TimeZone = 'UTC'")
        began = time.perf_counter()
        self.connection.execute(
            "CREATE TABLE lines AS"
            " SELECT * FROM read_csv($path, header = true, columns = $columns)",
            {"path": str(csv_path), "columns": COLUMNS},
        )
        self.load_seconds = time.perf_counter() - began
        self.rows = int(self.connection.execute("SELECT COUNT(*) FROM lines").fetchone()[0])
        self.version = str(duckdb.__version__)

    def question(self, name: str) -> Callable[[], None]:
        statements, days = QUESTIONS[name]
        bounds = _window(days)

        def ask() -> None:
            for statement in statements:
                self.connection.execute(statement, bounds).fetchall()

        return ask

    def close(self) -> None:
        self.connection.close()
