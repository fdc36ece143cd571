"""fuse_external_scores: labelling class-agnostic detections with video-level class scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from actionformer.postprocess import fuse_external_scores, load_external_scores


@pytest.fixture
def score_file(tmp_path):
    path = tmp_path / "cuhk_scores.json"
    path.write_text(json.dumps({"results": {
        "vidA": [0.1, 0.7, 0.2],
        "v_vidB": [0.5, 0.1, 0.4],
    }, "version": "test"}))
    return path


def _video(vid, segs, scores):
    return {"video_id": vid, "segments": torch.tensor(segs, dtype=torch.float32),
            "scores": torch.tensor(scores, dtype=torch.float32),
            "labels": torch.zeros(len(scores), dtype=torch.long)}


def test_top_classes_times_top_segments(score_file):
    results = [_video("vidA", [[0, 1], [2, 3], [4, 5]], [0.3, 0.9, 0.6])]
    fused = fuse_external_scores(results, score_file, num_pred=2, topk=2)[0]
    # top-2 segments (0.9, 0.6) x top-2 classes (1: 0.7, 2: 0.2), class-major
    assert fused["labels"].tolist() == [1, 1, 2, 2]
    expected = [math.sqrt(0.7 * float(np.float32(0.9))), math.sqrt(0.7 * float(np.float32(0.6))),
                math.sqrt(0.2 * float(np.float32(0.9))), math.sqrt(0.2 * float(np.float32(0.6)))]
    assert fused["scores"].tolist() == pytest.approx(expected, rel=1e-12)
    assert fused["segments"].tolist() == [[2, 3], [4, 5], [2, 3], [4, 5]]
    assert fused["scores"].dtype == torch.float64 and fused["labels"].dtype == torch.int64


def test_defaults_match_the_original(score_file):
    results = [_video("vidA", [[i, i + 1] for i in range(300)], list(np.linspace(0.9, 0.1, 300)))]
    fused = fuse_external_scores(results, score_file)[0]
    assert fused["scores"].shape == (400,)  # num_pred=200, topk=2
    assert set(fused["labels"].tolist()) == {1, 2}


def test_flat_layout_matches_per_video_layout(score_file):
    per_video = [_video("vidA", [[0, 1], [2, 3]], [0.3, 0.9]), _video("vidB", [[5, 6]], [0.8])]
    flat = {
        "video-id": ["vidB", "vidA", "vidA"],
        "t-start": np.array([5, 0, 2], dtype=np.float32), "t-end": np.array([6, 1, 3], dtype=np.float32),
        "label": np.zeros(3, dtype=np.int64), "score": np.array([0.8, 0.3, 0.9], dtype=np.float32),
    }
    fused_flat = fuse_external_scores(flat, score_file, topk=2)
    fused_list = fuse_external_scores(per_video, score_file, topk=2)
    assert fused_flat["video-id"] == ["vidA"] * 4 + ["vidB"] * 2  # sorted ids, as the original
    stacked = torch.cat([r["scores"] for r in fused_list]).numpy()
    np.testing.assert_array_equal(fused_flat["score"], stacked)
    np.testing.assert_array_equal(fused_flat["label"], [1, 1, 2, 2, 0, 2])
    np.testing.assert_array_equal(fused_flat["t-start"], [2, 0, 2, 0, 5, 5])


def test_video_without_detections_needs_no_scores(score_file):
    fused = fuse_external_scores([_video("not_in_file", [], [])], score_file)
    assert fused[0]["scores"].shape == (0,) and fused[0]["segments"].shape == (0, 2)


def test_missing_video_names_file_and_video(score_file):
    with pytest.raises(KeyError, match=r"cuhk_scores\.json.*'vidC'"):
        fuse_external_scores([_video("vidC", [[0, 1]], [0.5])], score_file)


def test_missing_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match="nope.json"):
        fuse_external_scores([_video("vidA", [[0, 1]], [0.5])], missing)


def test_not_json_is_a_clear_error(tmp_path):
    path = tmp_path / "scores.pkl"
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_external_scores(path)


def test_bad_scores_entry_names_the_video(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"vidA": "oops"}))
    with pytest.raises(ValueError, match="vidA"):
        fuse_external_scores([_video("vidA", [[0, 1]], [0.5])], path)


def test_unwrapped_file_and_v_prefix(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"v_abc": [0.2, 0.8]}))
    scores = load_external_scores(path)
    assert "abc" in scores and "v_abc" in scores
    assert scores.get("abc").tolist() == [0.2, 0.8]


def _original_style_fusion(flat, class_scores, num_pred, topk):
    """The original's steps, spelled out: group by sorted video id, top num_pred, top-k classes."""
    out = {"video-id": [], "t-start": [], "t-end": [], "label": [], "score": []}
    for vid in sorted(set(flat["video-id"])):
        rows = [i for i, v in enumerate(flat["video-id"]) if v == vid]
        score = np.array([float(flat["score"][i]) for i in rows])
        seg = np.array([[float(flat["t-start"][i]), float(flat["t-end"][i])] for i in rows])
        keep = np.argsort(score)[::-1][:num_pred]
        score, seg = score[keep], seg[keep]
        cls = np.asarray(class_scores[vid])
        top = np.argsort(cls)[::-1][:topk]
        out["score"].append(np.sqrt(cls[top][:, None] @ score[None, :]).flatten())
        out["t-start"].append(np.tile(seg, (topk, 1))[:, 0])
        out["t-end"].append(np.tile(seg, (topk, 1))[:, 1])
        out["label"].append(np.tile(top[:, None], (1, len(score))).flatten())
        out["video-id"].extend([vid] * len(score) * topk)
    return {k: (v if k == "video-id" else np.concatenate(v)) for k, v in out.items()}


def test_flat_fusion_matches_the_original_steps_on_random_data(tmp_path):
    rng = np.random.default_rng(0)
    vids = [f"vid{i:03d}" for i in range(30)]
    class_scores = {v: rng.random(200).tolist() for v in vids}
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({"results": class_scores}))
    n = 3000
    starts = rng.uniform(0, 100, n).astype(np.float32)
    flat = {
        "video-id": [vids[i] for i in rng.integers(0, len(vids), n)],
        "t-start": starts, "t-end": starts + rng.uniform(1, 20, n).astype(np.float32),
        "label": np.zeros(n, dtype=np.int64), "score": rng.random(n).astype(np.float32),
    }
    ours = fuse_external_scores(flat, path, num_pred=50, topk=3)
    expected = _original_style_fusion(flat, class_scores, 50, 3)
    assert ours["video-id"] == expected["video-id"]
    for key in ("t-start", "t-end", "label", "score"):
        np.testing.assert_array_equal(ours[key], expected[key])


def test_flat_fusion_breaks_ties_as_the_original_on_long_rows(tmp_path):
    # rounded scores tie often; on rows this long numpy's default argsort is not stable, so only
    # the very same call gives the original's order
    rng = np.random.default_rng(1)
    vids = [f"vid{i:02d}" for i in range(8)]
    class_scores = {v: np.round(rng.random(200), 1).tolist() for v in vids}
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({"results": class_scores}))
    n = 800
    starts = rng.uniform(0, 100, n)
    flat = {
        "video-id": [vids[i] for i in rng.integers(0, len(vids), n)],
        "t-start": starts, "t-end": starts + rng.uniform(1, 20, n),
        "label": np.zeros(n, dtype=np.int64), "score": np.round(rng.random(n), 1),
    }
    ours = fuse_external_scores(flat, path, num_pred=40, topk=5)
    expected = _original_style_fusion(flat, class_scores, 40, 5)
    for key in ("t-start", "t-end", "label", "score"):
        np.testing.assert_array_equal(ours[key], expected[key])


def test_segments_and_scores_of_different_lengths_name_the_video(score_file):
    # extra segment rows would otherwise be dropped silently by the score ranking
    bad = {"video_id": "vidA", "segments": torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]),
           "scores": torch.tensor([0.3, 0.9]), "labels": torch.zeros(2, dtype=torch.long)}
    with pytest.raises(ValueError, match="video 'vidA'.*3 segments.*2 scores"):
        fuse_external_scores([bad], score_file)


def test_flat_columns_of_different_lengths_are_a_clear_error(score_file):
    flat = {"video-id": ["vidA", "vidA"], "t-start": np.array([0.0, 2.0]), "t-end": np.array([1.0, 3.0]),
            "label": np.zeros(2, dtype=np.int64), "score": np.array([0.5])}
    with pytest.raises(ValueError, match="differ in length.*'score': 1"):
        fuse_external_scores(flat, score_file)
