"""Helpers of the spotting tests: SoccerNet's stored reference cases, written back to disk."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "spotting" / "reference_cases.json"
CASE_NAMES = ("basic", "ties", "empty_classes", "unshown", "outside", "several_games", "custom_fps1", "sparse")


@functools.lru_cache(maxsize=1)
def reference_cases() -> Dict[str, Any]:
    """SoccerNet 0.2.0's outputs on stored cases (made by tests/fixtures/spotting/make_reference.py)."""
    if not REFERENCE.exists():
        pytest.fail(f"test fixture missing: {REFERENCE}", pytrace=False)
    return json.loads(REFERENCE.read_text())["cases"]


def write_case(case: Dict[str, Any], root: Path) -> Tuple[Path, Path]:
    """The case's games in SoccerNet's layout: (labels root, predictions root)."""
    labels_root, preds_root = root / "labels", root / "preds"
    for game, (labels, preds) in case["games"].items():
        (labels_root / game).mkdir(parents=True)
        (preds_root / game).mkdir(parents=True)
        (labels_root / game / "Labels-v2.json").write_text(json.dumps(labels))
        (preds_root / game / "results_spotting.json").write_text(json.dumps(preds))
    return labels_root, preds_root
