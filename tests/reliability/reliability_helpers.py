"""Helpers of the fault-injection tests (a uniquely named module: several test folders have a
conftest.py, so `from conftest import ...` would pick whichever was imported first)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict

FAST = ["--no-progress", "--set", "opt.epochs=1", "opt.warmup_epochs=0"]
def snapshot(root: Path) -> Dict[str, str]:
    """Relative path -> sha1 of every file under ``root``."""
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def unchanged(before: Dict[str, str], root: Path) -> bool:
    """True when every file of ``before`` still has the same bytes (new files are allowed)."""
    after = snapshot(root)
    return all(after.get(name) == digest for name, digest in before.items())
