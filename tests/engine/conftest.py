"""Fixtures of the engine tests: the toy model, dataset and config live in engine_toys.py."""

from __future__ import annotations

import sys
from pathlib import Path


HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

