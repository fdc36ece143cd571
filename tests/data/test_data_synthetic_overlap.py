"""make-synthetic's `overlap`: companion actions of another class inside earlier ones."""

from __future__ import annotations

import json

import pytest

from actionformer.data.synthetic import make_synthetic_dataset


def _database(folder):
    return json.loads((folder / "annotations" / "synthetic.json").read_text())["database"]


def _overlapping_pairs(entry):
    segs = [(a["segment"], a["label_id"]) for a in entry["annotations"]]
    return [(a, b) for i, a in enumerate(segs) for b in segs[i + 1:]
            if min(a[0][1], b[0][1]) > max(a[0][0], b[0][0])]


def test_overlap_adds_overlapping_actions_of_other_classes(tmp_path):
    make_synthetic_dataset(tmp_path / "o", num_videos=12, seed=3, overlap=1.0)
    pairs = [p for entry in _database(tmp_path / "o").values() for p in _overlapping_pairs(entry)]
    assert len(pairs) >= 12  # every video has at least one action, each got a companion
    assert all(a[1] != b[1] for a, b in pairs)  # the companion is of another class
    for entry in _database(tmp_path / "o").values():
        starts = [a["segment"][0] for a in entry["annotations"]]
        assert starts == sorted(starts)
        assert all(0 <= a["segment"][0] < a["segment"][1] <= entry["duration"] + 0.01 for a in entry["annotations"])


def test_zero_overlap_is_the_dataset_of_before_and_a_bad_value_is_refused(tmp_path):
    make_synthetic_dataset(tmp_path / "a", num_videos=6, seed=2)
    make_synthetic_dataset(tmp_path / "b", num_videos=6, seed=2, overlap=0.0)
    assert _database(tmp_path / "a") == _database(tmp_path / "b")
    assert not any(_overlapping_pairs(e) for e in _database(tmp_path / "a").values())
    with pytest.raises(ValueError, match="overlap must be in"):
        make_synthetic_dataset(tmp_path / "c", num_videos=6, overlap=1.5)
