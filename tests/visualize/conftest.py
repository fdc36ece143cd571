"""The picture tests build their inputs with the analysis tests' hand-made cases."""

from __future__ import annotations

import sys
from pathlib import Path

ANALYSIS_TESTS = Path(__file__).resolve().parent.parent / "analysis"
if str(ANALYSIS_TESTS) not in sys.path:
    sys.path.insert(0, str(ANALYSIS_TESTS))
