"""The matching internals and the numpy facts the exactness rests on."""

import numpy as np

from actionformer.evaluation.matching import (GroundTruthGroups, class_sorted_order, index_lookup, segment_tiou,
                                              stable_argsort)
from slow_reference import ref_segment_iou


def test_row_wise_argsort_equals_one_dimensional_calls():
    """A 2-D argsort along the last axis orders ties exactly as 1-D calls on each row."""
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 9, 16, 17, 40, 130):
        rows = rng.integers(0, 3, (60, n)).astype(np.float64)
        assert np.array_equal(np.argsort(rows, axis=1), np.stack([np.argsort(r) for r in rows]))


def test_segment_tiou_bit_identical_to_reference():
    rng = np.random.default_rng(1)
    gt = np.sort(rng.uniform(0, 100, (50, 2)), axis=1)
    for start, end in np.sort(rng.uniform(0, 100, (20, 2)), axis=1):
        ours = segment_tiou(np.full(50, start), np.full(50, end), gt[:, 0], gt[:, 1])
        assert np.array_equal(ours, ref_segment_iou((start, end), gt))


def test_segment_tiou_simple_values():
    tiou = segment_tiou(np.array([0.0, 0.0, 5.0]), np.array([10.0, 5.0, 6.0]),
                        np.array([0.0, 0.0, 0.0]), np.array([10.0, 10.0, 1.0]))
    assert tiou.tolist() == [1.0, 0.5, 0.0]


def test_class_sorted_order_uses_default_argsort_per_class():
    scores = np.array([0.5, 0.5, 0.9, 0.5, 0.1, 0.5, 0.5])
    labels = np.array([1, 0, 0, 1, 1, 0, 1])
    order, offsets = class_sorted_order(labels, scores, 2)
    assert offsets.tolist() == [0, 3, 7]
    for c in range(2):
        idx = np.flatnonzero(labels == c)
        assert order[offsets[c]:offsets[c + 1]].tolist() == idx[np.argsort(scores[idx])[::-1]].tolist()


def test_index_lookup_dense_and_sparse_agree():
    table = np.array([2, 5, 9, 40])
    keys = np.array([9, 3, 2, 40, 41, -1, 5])
    expected = [2, -1, 0, 3, -1, -1, 1]
    assert index_lookup(table, keys).tolist() == expected
    big = table + (1 << 30)
    assert index_lookup(big, keys + (1 << 30)).tolist() == expected


def test_ground_truth_groups_keep_database_order():
    gt_class = np.array([1, 0, 1, 0, 1])
    gt_video = np.array([0, 0, 1, 0, 0])
    groups = GroundTruthGroups.build(gt_class, gt_video, num_videos=2)
    assert groups.order.tolist() == [1, 3, 0, 4, 2]
    assert groups.counts.tolist() == [2, 2, 1]
    assert groups.group_of(np.array([0, 2, 3, 1])).tolist() == [0, 1, 2, -1]


def test_stable_argsort_is_stable_for_small_and_large_keys():
    keys = np.array([3, 1, 3, 1, 0])
    assert stable_argsort(keys).tolist() == [4, 1, 3, 0, 2]
    assert stable_argsort(keys + (1 << 20)).tolist() == [4, 1, 3, 0, 2]
