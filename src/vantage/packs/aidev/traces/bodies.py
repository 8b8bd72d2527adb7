"""Reading whole inputs: a JSON body (one record, a list, ``{"records": [...]}`` or an OTLP
export), JSON lines, and gzip-compressed bodies with a ceiling on their inflated size."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vantage.packs.aidev.traces.formats import Parsed, TraceFormat, read_record


class UnreadableBody(ValueError):
    """The body is not JSON (or not gzip when it says so); nothing in it can be read."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One position of the input (an index in a batch, or a line of a file) and what it held."""

    position: int
    parsed: Parsed


def inflate(body: bytes, limit: int) -> bytes:
    """The gzip-decoded body; refuses one that inflates beyond ``limit`` bytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise UnreadableBody(f"the body is not valid gzip: {error}") from error
    if len(data) > limit or inflater.unconsumed_tail:
        raise UnreadableBody(f"the body inflates beyond {limit} bytes")
    if not inflater.eof:
        raise UnreadableBody("the gzip stream is truncated")
    return data


def _json(text: bytes | str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableBody(f"the body is not valid JSON: {error}") from error


def records_of(document: Any) -> tuple[list[Any], TraceFormat | None]:
    """The records of a JSON document, and the format it declares (if it does)."""
    if isinstance(document, list):
        return document, None
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        declared = document.get("format")
        if declared is not None and declared not in ("litellm", "spendlogs", "otlp"):
            raise UnreadableBody(f"unknown format {declared!r}; use litellm, spendlogs or otlp")
        return document["records"], declared
    return [document], None


def refuse_beyond(count: int, max_records: int | None) -> None:
    """Raise ``UnreadableBody`` when a batch holds more than ``max_records`` records."""
    if max_records is not None and count > max_records:
        raise UnreadableBody(f"a batch holds at most {max_records} records, got {count}")


def read_json_body(
    body: bytes, declared: TraceFormat | None, max_records: int | None = None
) -> list[Unit]:
    """Each record of a JSON body, read; position is the record's 0-based index. A body of
    more than ``max_records`` records is refused before any of them is read."""
    records, inner = records_of(_json(body))
    refuse_beyond(len(records), max_records)
    kind = declared or inner
    return [Unit(index, read_record(record, kind)) for index, record in enumerate(records)]


def read_json_lines(
    lines: Iterable[tuple[int, str]], declared: TraceFormat | None
) -> Iterator[Unit]:
    """Each non-blank line read as one record; a line that is not JSON is rejected alone."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            parsed = Parsed(rejected=[f"not valid JSON: {error}"])
            yield Unit(number, parsed)
            continue
        yield Unit(number, read_record(record, declared))
