"""Fixtures of the data tests (helpers in data_test_helpers.py)."""

import numpy as np
import pytest
from data_test_helpers import feat_len, video_entry, write_json


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
