"""make-synthetic's `boundary_noise`: training boundaries moved, features and test boundaries not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actionformer.data.synthetic import make_synthetic_dataset


def _database(folder):
    return json.loads((folder / "annotations" / "synthetic.json").read_text())["database"]


def test_noise_moves_training_boundaries_only(tmp_path):
    make_synthetic_dataset(tmp_path / "clean", num_videos=12, seed=4)
    make_synthetic_dataset(tmp_path / "noisy", num_videos=12, seed=4, boundary_noise=0.25)
    clean, noisy = _database(tmp_path / "clean"), _database(tmp_path / "noisy")
    assert clean.keys() == noisy.keys()
    moved = 0
    for vid, entry in clean.items():
        np.testing.assert_array_equal(np.load(tmp_path / "clean" / "features" / f"{vid}.npy"),
                                      np.load(tmp_path / "noisy" / "features" / f"{vid}.npy"))
        for a, b in zip(entry["annotations"], noisy[vid]["annotations"]):
            assert a["label_id"] == b["label_id"]
            (s0, e0), (s1, e1) = a["segment"], b["segment"]
            if entry["subset"] == "Test":
                assert (s0, e0) == (s1, e1)
                continue
            # each boundary within 25% of the length (+ the seconds rounding), and still a segment
            length = e0 - s0
            assert abs(s1 - s0) <= 0.25 * length + 0.02 and abs(e1 - e0) <= 0.25 * length + 0.02
            assert 0 <= s1 < e1 <= entry["duration"] + 0.01
            moved += (s0, e0) != (s1, e1)
    assert moved > 0


def test_zero_noise_is_the_clean_dataset_and_bad_noise_is_refused(tmp_path):
    make_synthetic_dataset(tmp_path / "a", num_videos=6, seed=2)
    make_synthetic_dataset(tmp_path / "b", num_videos=6, seed=2, boundary_noise=0.0)
    assert _database(tmp_path / "a") == _database(tmp_path / "b")
    with pytest.raises(ValueError, match="boundary_noise must be in"):
        make_synthetic_dataset(tmp_path / "c", num_videos=6, boundary_noise=0.5)
