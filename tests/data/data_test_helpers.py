"""Helpers that write tiny datasets in the exact on-disk formats of the original release
(a uniquely named module: several test folders have a conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np


def feat_len(duration: float, fps: float, stride: int, num_frames: int) -> int:
    return max(int((duration * fps - num_frames) // stride) + 1, 1)


def write_json(path: Path, database: Dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "test", "database": database}))
    return path


def video_entry(subset: str, duration: float, acts, fps: Optional[float] = 30.0) -> Dict[str, Any]:
    entry = {"subset": subset, "duration": duration,
             "annotations": [{"segment": [s, e], "label": lab, "label_id": lid} for s, e, lab, lid in acts]}
    if fps is not None:
        entry["fps"] = fps
    return entry


def make_cfg(kwargs: Dict[str, Any], name: str = "thumos", train=("validation",), val=("test",)) -> Dict[str, Any]:
    return {"dataset_name": name, "train_split": list(train), "val_split": list(val), "dataset": dict(kwargs)}
