"""Files uploaded for an import job, kept in the private data directory until the job ends.

A body is streamed to ``incoming-<random>.part`` (0600, in a 0700 directory) and digested on the
way, so an upload of any size allowed costs one buffer of memory. Once its job is queued the file
is renamed ``<tenant>-<job id>.<format>``: the job finds it from its own id, and nothing in the
job's parameters names a path.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vantage.core.private_files import FILE_MODE, private_dir
from vantage.packs.commerce.ingest.files import FileFormat

UPLOADS_DIR_NAME = "commerce-imports"
# Chunks from the server are small (64 KiB); the disk is written in larger pieces, off the loop.
WRITE_BUFFER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReceivedFile:
    """An upload on disk: where, how many bytes, and the SHA-256 of its content."""

    path: Path
    size: int
    sha256: bytes


def uploads_dir(data_dir: Path) -> Path:
    """Where uploads wait for their job (inside the data directory)."""
    return data_dir / UPLOADS_DIR_NAME


def upload_path(directory: Path, tenant_id: int, job_id: str, file_format: FileFormat) -> Path:
    """The file an import job reads."""
    return directory / f"{tenant_id}-{job_id}.{file_format.value}"


async def receive(chunks: AsyncIterator[bytes], directory: Path) -> ReceivedFile:
    """Stream ``chunks`` into a new private file; on any failure the partial file is removed."""
    await asyncio.to_thread(private_dir, directory)
    path = directory / f"incoming-{secrets.token_hex(16)}.part"
    handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")
    try:
        with handle:
            size, digest = await _copy(chunks, handle)
    except BaseException:
        discard(path)
        raise
    return ReceivedFile(path, size, digest)


async def _copy(chunks: AsyncIterator[bytes], handle: BinaryIO) -> tuple[int, bytes]:
    digest = hashlib.sha256()
    pending = bytearray()
    size = 0
    async for chunk in chunks:
        digest.update(chunk)
        pending += chunk
        size += len(chunk)
        if len(pending) >= WRITE_BUFFER_BYTES:
            await asyncio.to_thread(handle.write, bytes(pending))
            pending.clear()
    if pending:
        await asyncio.to_thread(handle.write, bytes(pending))
    return size, digest.digest()


def move(received: ReceivedFile, target: Path) -> None:
    """Give an upload its job's name."""
    received.path.replace(target)


def discard(path: Path) -> None:
    """Remove an upload (already gone is fine)."""
    path.unlink(missing_ok=True)


@dataclass(frozen=True)
class WaitingUpload:
    """An upload handed to a job: the file, and the job that reads it."""

    path: Path
    tenant_id: int
    job_id: str


def old_uploads(
    directory: Path, now: float, grace_seconds: float
) -> tuple[list[Path], list[WaitingUpload]]:
    """Files not touched for ``grace_seconds``: partial uploads (their request is long gone),
    and uploads named for a job (each kept only while its job may still run)."""
    partial, waiting = [], []
    for path in directory.glob("*") if directory.is_dir() else ():
        try:
            idle = now - path.stat().st_mtime
        except FileNotFoundError:  # removed meanwhile by its job
            continue
        if idle < grace_seconds:
            continue
        tenant, _, rest = path.stem.partition("-")
        if path.name.startswith("incoming-"):
            partial.append(path)
        elif tenant.isdigit() and rest:
            waiting.append(WaitingUpload(path, int(tenant), rest))
    return partial, waiting
