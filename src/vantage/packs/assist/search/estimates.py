"""Story points from the nearest finished work items, and how far off that estimate runs.

The estimate of an item is the mean of its ``k`` most similar finished items' points, each
weighted by its cosine similarity (similarities below zero weigh nothing; when no neighbour
weighs anything, the plain mean). Only neighbours at least ``min_similarity`` alike count:
points borrowed from items that share nothing with the new one are no estimate, so without
such a neighbour there is none. The leave-one-out mean absolute error estimates each
finished item from all the others and averages |estimate - points| over the items that get
an estimate: what a new item's estimate can be expected to miss by.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from cachetools import LRUCache

from vantage.packs.assist.search.embedders import Vectors

Floats = npt.NDArray[np.float64]
LOO_CHUNK = 1_024  # rows of the similarity matrix held at once
_LOO_ERRORS: LRUCache[tuple[int, float, bytes], float | None] = LRUCache(maxsize=256)
_LOO_LOCK = threading.Lock()  # computed in worker threads


@dataclass(frozen=True)
class Neighbour:
    position: int
    similarity: float


def weighted_points(similarities: Floats, points: Floats) -> float:
    """The similarity-weighted mean of ``points``."""
    weights = np.clip(similarities, 0.0, None)
    if float(weights.sum()) <= 0.0:
        return float(points.mean())
    return float((weights * points).sum() / weights.sum())


def nearest(
    history: Vectors, query: Vectors, k: int, min_similarity: float = -math.inf
) -> list[Neighbour]:
    """The ``k`` rows of ``history`` most similar to ``query`` and at least ``min_similarity``
    alike, best first (ties by row)."""
    similarities = (history @ query).astype(np.float64)
    order = np.lexsort((np.arange(len(similarities)), -similarities))[:k]
    return [
        Neighbour(int(i), float(similarities[i]))
        for i in order
        if similarities[i] >= min_similarity
    ]


def estimate(
    history: Vectors, points: Floats, query: Vectors, k: int, min_similarity: float = -math.inf
) -> tuple[float | None, list[Neighbour]]:
    """The points ``query`` gets from its ``k`` nearest rows of ``history`` (None when none
    is at least ``min_similarity`` alike), and those rows."""
    found = nearest(history, query, k, min_similarity)
    if not found:
        return None, []
    chosen = np.array([n.position for n in found])
    similarities = np.array([n.similarity for n in found])
    return weighted_points(similarities, points[chosen]), found


def leave_one_out_mae(
    history: Vectors, points: Floats, k: int, min_similarity: float = -math.inf
) -> float | None:
    """The mean absolute error of estimating each row from the others, over the rows that get
    an estimate (None below two rows, or when none gets one).

    Remembered by the history's content: each estimate asks for it again, and it costs a
    similarity matrix over the whole history.
    """
    if len(points) < 2:
        return None
    digest = hashlib.blake2b(history.tobytes() + points.tobytes(), digest_size=16).digest()
    key = (k, min_similarity, digest)
    with _LOO_LOCK:
        remembered, known = key in _LOO_ERRORS, _LOO_ERRORS.get(key)
    if not remembered:
        known = _leave_one_out_mae(history, points, k, min_similarity)
        with _LOO_LOCK:
            _LOO_ERRORS[key] = known
    return known


def _leave_one_out_mae(
    history: Vectors, points: Floats, k: int, min_similarity: float
) -> float | None:
    count = len(points)
    errors = np.full(count, np.nan)  # NaN: no neighbour similar enough, no estimate
    taken = min(k, count - 1)
    for start in range(0, count, LOO_CHUNK):
        block = (history[start : start + LOO_CHUNK] @ history.T).astype(np.float64)
        rows = np.arange(len(block))
        block[rows, start + rows] = -np.inf  # an item is not its own neighbour
        for row, similarities in enumerate(block):
            order = _top(similarities, taken)
            order = order[similarities[order] >= min_similarity]
            if len(order):
                guess = weighted_points(similarities[order], points[order])
                errors[start + row] = abs(guess - points[start + row])
    estimated = errors[~np.isnan(errors)]
    return float(estimated.mean()) if len(estimated) else None


def _top(similarities: Floats, taken: int) -> npt.NDArray[np.intp]:
    """The ``taken`` most similar positions, best first, ties by position (as ``nearest``)."""
    candidates = np.arange(len(similarities))
    if taken < len(similarities):
        # Every position at least as similar as the taken-th best: ties at the edge included.
        edge = np.partition(similarities, len(similarities) - taken)[len(similarities) - taken]
        candidates = np.flatnonzero(similarities >= edge)
    chosen = candidates[np.lexsort((candidates, -similarities[candidates]))]
    return chosen[:taken]
