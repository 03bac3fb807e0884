"""Archival files: written once, atomically, under random names; checked when read."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import date
from pathlib import Path


class ArchiveError(RuntimeError):
    """A stored file is missing or no longer matches its checksum."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(root: Path, data: bytes, suffix: str = ".pdf") -> tuple[str, str, int]:
    """Write `data` to a new file under `root`; return (relative path, sha256, size).

    The file appears whole or not at all (written aside, flushed, then renamed), and an
    existing file is never replaced.
    """
    today = date.today()
    relative = Path(f"{today.year:04d}/{today.month:02d}/{secrets.token_hex(16)}{suffix}")
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.part")
    with open(temp, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(temp, target)  # fails if the target exists: never overwrite
    finally:
        temp.unlink()
    return relative.as_posix(), sha256(data), len(data)


def load(root: Path, relative: str, expected_sha256: str) -> bytes:
    """Read a stored file and check it is still exactly what was stored."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ArchiveError("path outside the archive")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArchiveError(f"archived file {relative} is missing") from None
    if sha256(data) != expected_sha256:
        raise ArchiveError(f"archived file {relative} does not match its checksum")
    return data
