"""Helpers that write tiny datasets in the exact on-disk formats of the original release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
THUMOS_JSON = REPO_ROOT.parent / "shared" / "data" / "thumos14.json"


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


@pytest.fixture
def thumos_dir(tmp_path):
    """A 4-video THUMOS-style folder (I3D-like: stride 4, 16 frames), 3 classes."""
    db = {
        "video_validation_1": video_entry("Validation", 40.0, [(2.0, 6.0, "Jump", 0), (10.0, 14.0, "Run", 1)]),
        "video_validation_2": video_entry("Validation", 30.0, [(1.0, 3.0, "Swim", 2), (20.0, 29.0, "Run", 1)]),
        "video_test_1": video_entry("Test", 20.0, [(5.0, 8.0, "Jump", 0)]),
        "video_test_2": video_entry("Test", 25.0, [(3.0, 4.0, "Swim", 2)], fps=25.0),
    }
    json_file = write_json(tmp_path / "annotations" / "thumos.json", db)
    feat_dir = tmp_path / "features"
    feat_dir.mkdir()
    rng = np.random.default_rng(0)
    for vid, entry in db.items():
        t = feat_len(entry["duration"], entry["fps"], 4, 16)
        np.save(feat_dir / f"{vid}.npy", rng.standard_normal((t, 8)).astype(np.float32))
    kwargs = dict(feat_folder=str(feat_dir), json_file=str(json_file), feat_stride=4, num_frames=16,
                  default_fps=None, downsample_rate=1, max_seq_len=64, trunc_thresh=0.5, crop_ratio=[0.9, 1.0],
                  input_dim=8, num_classes=3, file_prefix=None, file_ext=".npy", force_upsampling=False)
    return {"root": tmp_path, "json": json_file, "feats": feat_dir, "db": db, "kwargs": kwargs}


def make_cfg(kwargs: Dict[str, Any], name: str = "thumos", train=("validation",), val=("test",)) -> Dict[str, Any]:
    return {"dataset_name": name, "train_split": list(train), "val_split": list(val), "dataset": dict(kwargs)}
