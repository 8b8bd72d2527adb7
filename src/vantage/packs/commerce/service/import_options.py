"""The options of an uploaded import, the same as ``vantage import orders`` takes.

They are checked when the upload arrives (a bad option is a 422 and nothing is stored), carried
in the job's parameters as JSON, and turned into the importer's ``ImportPlan`` by the job.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from encodings.aliases import aliases
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from vantage.core.errors import ValidationFailed
from vantage.packs.commerce.ingest.batch import STATUSES
from vantage.packs.commerce.ingest.files import FileFormat, ImportPlan
from vantage.packs.commerce.ingest.rows import FIELDS, PRESETS, ColumnMap

MAX_BATCH_ORDERS = 100_000
TIME_ZONES = sorted(available_timezones())
PRESET_NAMES = sorted(PRESETS)


def _text_encoding(name: str) -> str | None:
    """The codec's own name when ``name`` decodes bytes to text (not base64, rot13 ...)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _text_encoding_names() -> list[str]:
    """Every name a text codec answers to (utf-8, utf_8, latin-1, cp1252 ...), for the schema."""
    names = set()
    for name in {*aliases, *aliases.values(), "utf_8_sig", "utf_16", "utf_32"}:
        if (canonical := _text_encoding(name)) is not None:
            names |= {name, canonical, name.replace("_", "-")}
    return sorted(names)


TEXT_ENCODINGS = _text_encoding_names()
MAPPING_PATTERN = rf"^ *(?:{'|'.join(FIELDS)}) *=[^\x00-\x1f]*[^\s\x00-\x1f][^\x00-\x1f]*$"
"""``FIELD=COLUMN`` with a known field and a column name (a single line, not blank)."""


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed.field(("query", name), message)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` pairs as a mapping (422 for a pair without both sides)."""
    mapping = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise _invalid("map", f"expected FIELD=COLUMN, got {pair!r}")
        mapping[name.strip()] = column.strip()
    return mapping


@dataclass(frozen=True)
class ImportOptions:
    """How to read an uploaded file."""

    file_format: FileFormat = FileFormat.CSV
    preset: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    encoding: str = "utf-8"
    delimiter: str | None = None
    status: str = "completed"
    batch_orders: int | None = None

    def check(self) -> None:
        """Refuse what the importer could not use, naming the option (422)."""
        if self.preset is not None and self.preset not in PRESETS:
            raise _invalid("preset", f"known presets: {', '.join(PRESETS)}")
        try:
            self._columns()
        except ValueError as error:
            raise _invalid("map", str(error)) from error
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise _invalid("timezone", f"unknown time zone {self.timezone!r}") from None
        if _text_encoding(self.encoding) is None:
            raise _invalid("encoding", f"unknown text encoding {self.encoding!r}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise _invalid("delimiter", "a single character")
        if self.status not in STATUSES:
            raise _invalid("status", f"one of {', '.join(STATUSES)}")
        if self.batch_orders is not None and not 1 <= self.batch_orders <= MAX_BATCH_ORDERS:
            raise _invalid("batch_size", f"between 1 and {MAX_BATCH_ORDERS}")

    def _columns(self) -> ColumnMap:
        preset = PRESETS[self.preset] if self.preset else None
        return ColumnMap.build(preset, self.mapping)

    def plan(self, path: Path, default_batch_orders: int) -> ImportPlan:
        """The importer's plan for the file at ``path``."""
        return ImportPlan(
            path=path,
            format=self.file_format,
            columns=self._columns(),
            preset=PRESETS[self.preset] if self.preset else None,
            timezone=ZoneInfo(self.timezone),
            batch_orders=self.batch_orders or default_batch_orders,
            encoding=self.encoding,
            delimiter=self.delimiter,
            default_status=self.status,
        )

    def to_params(self) -> dict[str, Any]:
        """The options as the job's JSON parameters."""
        return {
            "format": self.file_format.value,
            "preset": self.preset,
            "map": dict(self.mapping),
            "timezone": self.timezone,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "status": self.status,
            "batch_size": self.batch_orders,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ImportOptions:
        """The options a job was queued with."""
        return cls(
            file_format=FileFormat(params["format"]),
            preset=params.get("preset"),
            mapping=dict(params.get("map") or {}),
            timezone=params.get("timezone") or "UTC",
            encoding=params.get("encoding") or "utf-8",
            delimiter=params.get("delimiter"),
            status=params.get("status") or "completed",
            batch_orders=params.get("batch_size"),
        )
