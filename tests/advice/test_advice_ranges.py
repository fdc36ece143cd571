"""advice/ranges.py and advice/stats.py: half-spans on the feature grid, adaptive ranges."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from actionformer import compute_adaptive_ranges, suggest_config_ranges
from actionformer.advice import GridSpec, collect_stats, level_shares, suggest_num_levels

THUMOS = Path(__file__).resolve().parents[1] / "fixtures" / "thumos14.json"


def _write(tmp_path, videos):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({"database": videos}))
    return str(path)


def test_half_spans_use_each_videos_fps_and_only_the_training_split(tmp_path):
    ann = _write(tmp_path, {
        "a": {"subset": "training", "duration": 100, "fps": 30, "annotations": [{"segment": [0, 8], "label": "x"}]},
        "b": {"subset": "training", "duration": 100, "fps": 10, "annotations": [{"segment": [0, 8], "label": "x"}]},
        "c": {"subset": "test", "duration": 100, "fps": 30, "annotations": [{"segment": [0, 80], "label": "x"}]},
    })
    stats = collect_stats(ann, GridSpec(feat_stride=4), ["training"])
    # half of 8 s: 4 s x 30/4 = 30 steps and 4 s x 10/4 = 10 steps; the test video is not read
    assert sorted(stats.half_spans.tolist()) == [10.0, 30.0]
    assert stats.video_lengths.tolist() == [750.0, 250.0]
    fixed = collect_stats(ann, GridSpec(feat_stride=4, default_fps=10), ["training"])
    assert sorted(fixed.half_spans.tolist()) == [10.0, 10.0]


def test_ranges_are_increasing_contiguous_and_balanced():
    rng = np.random.default_rng(0)
    spans = np.exp(rng.uniform(np.log(2), np.log(200), 4000))
    ranges = compute_adaptive_ranges(spans, 6, method="quantile")
    assert ranges[0][0] == 0 and ranges[-1][1] >= 10000
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(ranges, ranges[1:]))
    shares = level_shares(spans, ranges)
    assert max(shares) - min(shares) < 0.05  # log-uniform spans, far above every floor


def test_the_stride_floor_keeps_short_actions_off_coarse_levels():
    spans = np.full(1000, 1.5)  # every action: half-span 1.5 steps
    ranges = compute_adaptive_ranges(spans, 4, method="quantile")
    assert [r[0] for r in ranges] == [0, 2, 4, 8]  # floors at the strides 2, 4, 8
    assert level_shares(spans, ranges)[0] == 1.0


def test_levels_follow_the_long_actions():
    assert suggest_num_levels(np.array([1.0, 2.0, 3.0])) == 2
    assert suggest_num_levels(np.full(10, 61.0)) == 5  # 61 / 16 <= 4
    assert suggest_num_levels(np.full(10, 65.0)) == 6


def test_octave_rule_is_the_originals_and_levels_follow_the_data():
    assert compute_adaptive_ranges([1.0, 50.0], 6) == [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]
    assert compute_adaptive_ranges([20000.0], 2)[-1][1] == 20001  # the top always holds the longest
    with pytest.raises(ValueError, match="method"):
        compute_adaptive_ranges([1.0], 2, method="median")


def test_real_thumos_training_split():
    original = [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]
    advice = suggest_config_ranges(str(THUMOS), feat_stride=4, train_split=["validation"], num_levels=6,
                                   current_ranges=original)
    assert advice.regression_range == original  # the original's THUMOS14 ranges, from the data's grid
    assert advice.current_shares[-1] < 0.02  # its top level learns under 2% of the actions
    assert suggest_config_ranges(str(THUMOS), feat_stride=4, train_split=["validation"]).num_levels == 5
    equal = suggest_config_ranges(str(THUMOS), feat_stride=4, train_split=["validation"], num_levels=6,
                                  method="quantile")
    assert equal.regression_range == [[0, 4], [4, 7], [7, 11], [11, 17], [17, 32], [32, 10000]]


def test_no_actions_is_a_clear_error():
    with pytest.raises(ValueError, match="no action with a positive length"):
        compute_adaptive_ranges([0.0, 0.0], 3)


def test_suggest_keeps_the_configs_levels_unless_long_actions_need_more():
    from actionformer.advice import ActionStats
    from actionformer.advice.suggest import suggest

    def stats(half_span):
        spans = np.full(50, float(half_span))
        return ActionStats(spans, spans / 7.5, ["a"] * 50, np.full(10, 300.0), 0.0, 10, [])

    cfg = {"model": {"backbone_arch": [2, 2, 5], "scale_factor": 2, "n_mha_win_size": 9,
                     "regression_range": [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]},
           "dataset": {"max_seq_len": 256}}
    assert suggest(stats(3.0), cfg).patch["model"]["backbone_arch"] == [2, 2, 5]  # 2 would do; 6 kept
    assert suggest(stats(300.0), cfg).patch["model"]["backbone_arch"] == [2, 2, 7]  # 300 / 128 <= 4
    advice = suggest(stats(3.0), cfg)
    assert advice.patch["dataset"]["max_seq_len"] % (32 * 8) == 0  # the model's divisibility rule
    assert any("small dataset" in note for note in advice.notes)


def test_thumos_file_reads_its_validation_videos_by_default_and_a_wrong_split_names_the_subsets():
    """The seed's call ``compute_adaptive_ranges(thumos14.json, 6, feat_stride=4)``: THUMOS trains
    on 'Validation'; an explicit split with no video is an error listing the subsets (was: 'no
    action with a positive length')."""
    assert compute_adaptive_ranges(str(THUMOS), 6, feat_stride=4) == \
        [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]
    assert suggest_config_ranges(str(THUMOS), feat_stride=4).num_levels >= 5
    with pytest.raises(ValueError, match=r"no video in training split \['training'\].*Validation"):
        compute_adaptive_ranges(str(THUMOS), 6, feat_stride=4, train_split=["training"])
