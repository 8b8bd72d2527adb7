"""Metric definitions against hand-computed vectors, edge cases included."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.ledger import Book, apply_fill

D = Decimal


def test_spread_bps_is_relative_to_the_mid() -> None:
    assert metrics.spread_bps(99.95, 100.05) == pytest.approx(10.0)
    assert metrics.spread_bps(100.0, 100.0) == 0.0  # a locked market


def test_vwap_weights_by_quantity_and_is_undefined_without_volume() -> None:
    # (100*1 + 101*2 + 102*1) / 4 = 404 / 4
    assert metrics.vwap(404.0, 4.0) == 101.0
    assert metrics.vwap(0.0, 0.0) is None


def test_arrival_slippage_is_a_cost_on_either_side() -> None:
    assert metrics.arrival_slippage_bps("buy", 100.10, 100.0) == pytest.approx(10.0)
    # Selling below the arrival mid costs: positive, like buying above it.
    assert metrics.arrival_slippage_bps("sell", 99.90, 100.0) == pytest.approx(10.0)
    # Selling above it is price improvement: negative.
    assert metrics.arrival_slippage_bps("sell", 100.10, 100.0) == pytest.approx(-10.0)
    assert metrics.arrival_slippage_bps("buy", 100.0, 0.0) is None


def test_weighted_slippage_uses_quantity_weights() -> None:
    # 10 bps on 100 shares and -20 bps on 300: (1000 - 6000) / 400
    assert metrics.weighted_slippage_bps(10 * 100 - 20 * 300, 400) == pytest.approx(-12.5)
    assert metrics.weighted_slippage_bps(0.0, 0.0) is None


def test_fill_rate_counts_partial_fills() -> None:
    assert metrics.fill_rate(D(60), D(100)) == 0.6
    assert metrics.fill_rate(D(0), D(100)) == 0.0
    assert metrics.fill_rate(D(0), D(0)) is None


def test_win_rate_does_not_count_break_even_trades_as_wins() -> None:
    # P&L of closing trades: 10, -5, 0, 20 -> 2 wins of 4
    assert metrics.win_rate(2, 4) == 0.5
    assert metrics.win_rate(0, 0) is None


def test_profit_factor_edge_cases() -> None:
    assert metrics.profit_factor(D(30), D(5)) == 6.0
    assert metrics.profit_factor(D(30), D(-5)) == 6.0  # the loss's sign does not matter
    assert metrics.profit_factor(D(30), D(0)) is None  # no losses: undefined, not infinite
    assert metrics.profit_factor(D(0), D(0)) is None  # no trades
    assert metrics.profit_factor(D(0), D(7)) == 0.0  # only losses


def test_max_drawdown_of_a_hand_computed_curve() -> None:
    # cumulative 10, 5, -5, 15, -15; running peak 10, 10, 10, 15, 15 -> worst fall 30
    assert metrics.max_drawdown([D(10), D(-5), D(-10), D(20), D(-30)]) == D(30)
    # The curve starts at 0, so an opening loss is a drawdown.
    assert metrics.max_drawdown([D(-10), D(5)]) == D(10)
    assert metrics.max_drawdown([D(1), D(2), D(3)]) == D(0)
    assert metrics.max_drawdown([]) == D(0)


def test_sharpe_is_annualised_with_sample_deviation() -> None:
    # mean 2, sample stdev 1 -> 2 * sqrt(252)
    assert metrics.sharpe_ratio([1.0, 2.0, 3.0]) == pytest.approx(2 * math.sqrt(252))
    assert metrics.sharpe_ratio([-1.0, -2.0, -3.0]) == pytest.approx(-2 * math.sqrt(252))
    assert metrics.sharpe_ratio([5.0, 5.0]) is None  # no variation
    assert metrics.sharpe_ratio([5.0]) is None  # one day
    assert metrics.sharpe_ratio([]) is None


def test_percentile_interpolates_between_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert metrics.percentile(values, 0.5) == pytest.approx(2.5)
    assert metrics.percentile(values, 0.9) == pytest.approx(3.7)
    assert metrics.percentile(values, 0.99) == pytest.approx(3.97)
    assert metrics.percentile(values, 0.0) == 1.0
    assert metrics.percentile(values, 1.0) == 4.0
    assert metrics.percentile([7.0], 0.99) == 7.0
    assert metrics.percentile([], 0.5) is None


def test_histogram_percentiles_stay_within_a_bucket_of_the_exact_ones() -> None:
    generator = random.Random(7)
    values = sorted(generator.lognormvariate(3.0, 1.0) for _ in range(5000))
    counts: dict[int, int] = {}
    for value in values:
        bucket = metrics.latency_bucket(value)
        counts[bucket] = counts.get(bucket, 0) + 1
    for q in (0.5, 0.9, 0.99):
        exact = metrics.percentile(values, q)
        estimate = metrics.histogram_percentile(counts, q, values[-1])
        assert exact is not None and estimate is not None
        assert abs(estimate - exact) / exact < 0.1
    assert metrics.histogram_percentile({}, 0.5, 0.0) is None


def test_latency_buckets_cover_zero_and_the_open_top() -> None:
    assert metrics.latency_bucket(0.0) == 0
    assert metrics.latency_bucket(1e9) == metrics.LATENCY_BUCKETS - 1
    lower, upper = metrics.latency_bucket_bounds(metrics.latency_bucket(12.0))
    assert lower <= 12.0 < upper


def test_average_cost_ledger_round_trip_matches_cash_flows() -> None:
    book = Book()
    first = apply_fill(book, "buy", D(100), D(10), D(1))
    assert first.realized_pnl is None
    assert (first.book.qty, first.book.avg_cost) == (D(100), D("10.01"))  # fee in the basis

    second = apply_fill(first.book, "sell", D(40), D(11), D("0.4"))
    assert second.realized_pnl == D("39.2")  # (11 - 10.01) * 40 - 0.4
    assert (second.book.qty, second.book.avg_cost) == (D(60), D("10.01"))

    # Sells through zero: closes 60 (fee share 0.6), opens 40 short (fee share 0.4).
    third = apply_fill(second.book, "sell", D(100), D(9), D(1))
    assert third.realized_pnl == D("-61.2")  # (9 - 10.01) * 60 - 0.6
    assert third.closed_qty == D(60)
    assert (third.book.qty, third.book.avg_cost) == (D(-40), D("8.99"))  # (360 - 0.4) / 40

    fourth = apply_fill(third.book, "buy", D(40), D(8), D("0.2"))
    assert fourth.realized_pnl == D("39.4")  # (8.99 - 8) * 40 - 0.2
    assert (fourth.book.qty, fourth.book.avg_cost) == (D(0), D(0))
    # Net of every fee, realized P&L equals the cash the round trips made.
    cash = -1000 - 1 + 440 - D("0.4") + 900 - 1 - 320 - D("0.2")
    assert fourth.book.realized_pnl == cash == D("17.4")
    assert fourth.book.fees == D("2.6")


def test_short_positions_mark_to_market_with_the_sign_of_the_position() -> None:
    short = apply_fill(Book(), "sell", D(10), D(50), D(0)).book
    assert short.unrealized(D(45)) == D(50)  # price fell 5 on 10 short
    assert short.unrealized(D(55)) == D(-50)


def test_ledger_refuses_non_positive_quantities() -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_fill(Book(), "buy", D(0), D(10), D(0))
