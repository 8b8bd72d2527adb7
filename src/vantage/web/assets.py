"""The UI's static files, read once at startup and served under a content-hashed version."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from vantage.core.packs import Pack

STATIC_DIRECTORY = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
SERVED_SUFFIXES = frozenset(MEDIA_TYPES) | {".png", ".ico", ".woff2"}
# Text compresses well; smaller files are not worth a second copy.
GZIP_MIN_BYTES = 512


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes, a gzip copy when smaller, and its media type."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


def _asset(body: bytes, suffix: str) -> Asset:
    media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
    compressed = gzip.compress(body, compresslevel=9, mtime=0)
    keep = len(body) >= GZIP_MIN_BYTES and len(compressed) < len(body)
    digest = hashlib.sha256(body).hexdigest()[:16]
    media_type = media_type or "application/octet-stream"
    return Asset(body, compressed if keep else None, media_type, f'"{digest}"')


def _core_files(directory: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in SERVED_SUFFIXES:
            yield path.relative_to(directory).as_posix(), path


def pack_script_path(pack_name: str) -> str:
    """Where a pack's page script is served, relative to the static root."""
    return f"packs/{pack_name}/page.js"


class StaticAssets:
    """Every static file by its served path, and the version naming this set of contents."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._assets = {
            name: _asset(path.read_bytes(), path.suffix) for name, path in files.items()
        }
        digest = hashlib.sha256()
        for name in sorted(self._assets):
            digest.update(name.encode() + b"\0" + self._assets[name].etag.encode())
        self.version = digest.hexdigest()[:12]

    @classmethod
    def collect(cls, packs: Iterable[Pack], directory: Path = STATIC_DIRECTORY) -> StaticAssets:
        """The core's static directory plus the page script of every pack that has one."""
        files = dict(_core_files(directory))
        for pack in packs:
            if pack.web is not None:
                files[pack_script_path(pack.name)] = pack.web.script
        return cls(files)

    def get(self, name: str) -> Asset | None:
        """The asset served as ``name``, if there is one."""
        return self._assets.get(name)

    def url(self, name: str) -> str:
        """The versioned URL of an asset."""
        if name not in self._assets:
            raise KeyError(f"no static asset {name!r}")
        return f"/ui/static/{self.version}/{name}"
