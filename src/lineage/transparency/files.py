"""Writing published files whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = ".tmp-"


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> int:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed over it;
    returns the number of bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(data)


def remove_leftovers(directory: Path) -> int:
    """Delete the temporary files an interrupted write left under ``directory``."""
    removed = 0
    for leftover in directory.rglob(f"{TEMPORARY_PREFIX}*"):
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink()
            removed += 1
    return removed
