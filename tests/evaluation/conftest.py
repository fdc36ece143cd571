"""Helpers for the evaluation tests: tiny ground-truth builders."""

from __future__ import annotations

import pytest


def make_database(videos):
    """videos: {video_id: [(start, end, label_id), ...]} -> ground-truth dict (subset 'test')."""
    return {"database": {
        vid: {"subset": "test", "duration": 100.0, "fps": 30.0,
              "annotations": [{"segment": [s, e], "label": f"c{l}", "label_id": l} for s, e, l in anns]}
        for vid, anns in videos.items()}}


def make_preds(rows):
    """rows: [(video, start, end, label_id, score), ...] -> the seed's dict of arrays."""
    import numpy as np

    return {
        "video-id": [r[0] for r in rows],
        "t-start": np.array([r[1] for r in rows], dtype=float),
        "t-end": np.array([r[2] for r in rows], dtype=float),
        "label": np.array([r[3] for r in rows], dtype=np.int64),
        "score": np.array([r[4] for r in rows], dtype=float),
    }


@pytest.fixture
def database():
    return make_database


@pytest.fixture
def preds():
    return make_preds
