"""The lines of a binary file as text, one string per line, knowing where decoding failed.

``io.TextIOWrapper`` decodes in 8 KiB chunks, so a byte that is not valid in the file's encoding
fails a read many lines before the line that holds it, and nothing says which line that was.
Decoding incrementally, line by line, names the line; it also works for encodings whose newline
is more than one byte (UTF-16), because the decoder keeps a partial character for the next call.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator


class UndecodableLine(ValueError):
    """Line ``line`` (1-based) holds bytes that are not valid in the file's encoding."""

    def __init__(self, line: int, error: UnicodeDecodeError) -> None:
        super().__init__(f"is not valid {error.encoding}: {error.reason}")
        self.line = line


class DecodedLines:
    """Iterate the text lines (newline kept) of ``chunks`` of bytes in ``encoding``.

    Raises ``LookupError`` at once for an unknown encoding. In UTF-8 a leading byte-order mark
    (spreadsheets write one) is dropped: it is not part of the first line's text.
    """

    def __init__(self, chunks: Iterable[bytes], encoding: str) -> None:
        self._chunks = chunks
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self.lines_read = 0

    def __iter__(self) -> Iterator[str]:
        pending = ""
        for chunk in self._chunks:
            pending += self._decode(chunk, final=False)
            *complete, pending = pending.split("\n")
            for line in complete:
                self.lines_read += 1
                yield line + "\n"
        pending += self._decode(b"", final=True)
        if pending:
            self.lines_read += 1
            yield pending

    def _decode(self, chunk: bytes, *, final: bool) -> str:
        try:
            return self._decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            # The bad bytes are on the line after the last complete one.
            raise UndecodableLine(self.lines_read + 1, error) from None
