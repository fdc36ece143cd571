"""Writing a file so that a crash leaves either the old file or the complete new one."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


@contextmanager
def atomic_write(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A handle on a temporary file beside ``path``, renamed over ``path`` once the block ends.

    The bytes are flushed and fsync'ed before the rename (atomic on POSIX); when the block
    raises, the temporary file is removed and ``path`` is left as it was. Text is UTF-8,
    newlines as written (``newline=""``).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def writable_problem(path: Path) -> "str | None":
    """Why a file cannot be written at ``path`` (its folder is created when missing, and a
    temporary file is made and removed there), or ``None`` when it can. Commands call it before
    long work, so that an unwritable ``--out`` fails at once with its name, not in a traceback."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=str(path.parent))
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
    return None
