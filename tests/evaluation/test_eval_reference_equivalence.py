"""Our evaluator against a faithful slow reimplementation of the references: identical to the bit.

The seeded cases put segments and scores on coarse grids, so score ties, tIoU ties between
ground-truth instances, duplicates, zero-length instances, stray videos and several instances
per (class, video) are all common.
"""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actionformer.evaluation import ANETdetection, evaluate_detection
from slow_reference import ref_ap_one_class, ref_evaluate, ref_interpolated_prec_rec
from synthetic_cases import make_case

THRESHOLDS = np.linspace(0.1, 0.9, 9)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("split", [None, "test"])
def test_identical_to_reference_on_seeded_cases(seed, split):
    gt, preds = make_case(seed, num_videos=8, preds_per_video=6 + 3 * seed, max_gt=3 + seed % 5)
    ap, recall, classes = ref_evaluate(gt["database"], split, preds, THRESHOLDS)
    result = evaluate_detection(gt, preds, THRESHOLDS, split=split)
    assert result.class_ids.tolist() == classes
    assert np.array_equal(result.ap, ap)
    assert np.array_equal(result.recall, recall)
    # the summary numbers come out of the same arrays with the same reductions
    assert np.array_equal(result.mAP, ap.mean(axis=1)) and result.average_mAP == ap.mean(axis=1).mean()


@pytest.mark.parametrize("thresholds", [[0.0, 0.95, 0.5], list(np.linspace(0.5, 0.95, 10)), [1.0]])
@pytest.mark.parametrize("seed", range(3))
def test_identical_for_unusual_thresholds(seed, thresholds):
    """Unsorted, zero (every overlap, even none, passes) and one (exact hits only)."""
    gt, preds = make_case(50 + seed, num_videos=8, preds_per_video=20, max_gt=6)
    ap, recall, _ = ref_evaluate(gt["database"], None, preds, thresholds)
    result = evaluate_detection(gt, preds, thresholds)
    assert np.array_equal(result.ap, ap) and np.array_equal(result.recall, recall)


@pytest.mark.parametrize("seed", range(4))
def test_identical_to_the_official_script_without_duplicate_removal(seed):
    """The official script keeps every instance and orders classes by first appearance."""
    gt, preds = make_case(100 + seed, num_videos=8, preds_per_video=20)
    ap, _, classes = ref_evaluate(gt["database"], "test", preds, THRESHOLDS, remove_duplicates=False,
                                  class_order="first_seen")
    result = evaluate_detection(gt, preds, THRESHOLDS, split="Test", remove_duplicates=False)
    columns = [result.class_ids.tolist().index(c) for c in classes]
    official_order = result.ap[:, columns]
    assert np.array_equal(official_order, ap)
    assert np.array_equal(official_order.mean(axis=1), ap.mean(axis=1))
    # a different class order may move mAP by rounding only
    assert np.allclose(result.mAP, ap.mean(axis=1), rtol=0, atol=1e-12)


def test_every_input_form_gives_the_same_numbers(tmp_path):
    gt, preds = make_case(7, num_videos=6, preds_per_video=25)
    expected = evaluate_detection(gt, preds, THRESHOLDS)
    label_names = {i: f"class{i}" for i in range(5)}
    videos = list(dict.fromkeys(preds["video-id"]))
    video_of = np.array(preds["video-id"])
    detections = []
    official, original = {}, {}
    for vid in videos:
        m = video_of == vid
        detections.append({"video_id": vid, "segments": np.stack([preds["t-start"][m], preds["t-end"][m]], 1),
                           "scores": preds["score"][m], "labels": preds["label"][m]})
        official[vid] = [{"label": label_names[int(l)], "score": float(s), "segment": [float(a), float(b)]}
                         for a, b, l, s in zip(preds["t-start"][m], preds["t-end"][m], preds["label"][m], preds["score"][m])]
        original[vid] = [{"label_id": int(l), "scores": float(s), "segment": [float(a), float(b)]}
                         for a, b, l, s in zip(preds["t-start"][m], preds["t-end"][m], preds["label"][m], preds["score"][m])]
    (tmp_path / "official.json").write_text(json.dumps({"version": "1.3", "results": official}))
    (tmp_path / "original.json").write_text(json.dumps({"database": original}))
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    for form in (detections, str(tmp_path / "official.json"), tmp_path / "original.json", {"results": official}):
        got = evaluate_detection(str(tmp_path / "gt.json"), form, THRESHOLDS)
        assert np.array_equal(got.ap, expected.ap) and np.array_equal(got.recall, expected.recall)
    as_tensors = [{**d, "segments": torch.tensor(d["segments"], dtype=torch.float32),
                   "scores": torch.tensor(d["scores"], dtype=torch.float32), "labels": torch.tensor(d["labels"])}
                  for d in detections]
    # float32 tensors: the same numbers as the seed's dict built from the same float32 tensors
    seed_dict = {"video-id": list(preds["video-id"]), "t-start": preds["t-start"].astype(np.float32),
                 "t-end": preds["t-end"].astype(np.float32), "label": preds["label"],
                 "score": preds["score"].astype(np.float32)}
    evaluator = ANETdetection(gt, None, THRESHOLDS)
    assert np.array_equal(evaluator.evaluate(as_tensors, verbose=False)[0],
                          evaluator.evaluate(seed_dict, verbose=False)[0])


def definition_ap(gt_rows, pred_rows, threshold):
    """AP straight from the definition, in plain Python: greedy matching in score order (ties as
    the references order them), then the area under the precision envelope."""
    order = list(np.argsort(np.array([p[3] for p in pred_rows], dtype=float))[::-1])
    matched, tp = set(), []
    for i in order:
        video, start, end, _ = pred_rows[i]
        best, best_iou = None, None
        overlaps = []
        for j, (g_video, g_start, g_end) in enumerate(gt_rows):
            if g_video != video:
                continue
            inter = max(0.0, min(end, g_end) - max(start, g_start))
            overlaps.append((inter / ((g_end - g_start) + (end - start) - inter), j))
        ranked = [overlaps[k] for k in np.argsort(np.array([o[0] for o in overlaps], dtype=float))[::-1]] if overlaps else []
        for iou, j in ranked:
            if iou < threshold:
                break
            if j not in matched:
                best, best_iou = j, iou
                break
        tp.append(best is not None)
        if best is not None:
            matched.add(best)
    precision, recall, hits = [], [], 0
    for n, is_tp in enumerate(tp, start=1):
        hits += is_tp
        precision.append(hits / n)
        recall.append(hits / len(gt_rows))
    area, previous = 0.0, 0.0
    for i, r in enumerate(recall):
        if r != previous:
            area += (r - previous) * max(precision[i:])
            previous = r
    return area


segment = st.tuples(st.integers(0, 20), st.integers(0, 8)).map(lambda t: (t[0] * 0.5, t[0] * 0.5 + t[1] * 0.5))


@settings(max_examples=60, deadline=None)
@given(
    gts=st.lists(st.tuples(st.sampled_from(["a", "b"]), segment), min_size=1, max_size=6),
    pds=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), segment, st.integers(1, 4)), max_size=10),
    threshold=st.sampled_from([0.1, 0.3, 0.5, 0.7]),
)
def test_property_against_the_definition(gts, pds, threshold):
    gt_rows = [(v, s, e) for v, (s, e) in gts if e - s >= 1e-3]
    if not gt_rows:
        return
    pred_rows = [(v, s, e, k / 4) for v, (s, e), k in pds]
    database = {"database": {v: {"subset": "test", "annotations": []} for v in ("a", "b")}}
    seen = []
    for v, s, e in gt_rows:
        if any(v == w and abs(s - a) <= 1e-3 and abs(e - b) <= 1e-3 for w, a, b in seen):
            continue  # the evaluator drops duplicate ground truth; so does the definition here
        seen.append((v, s, e))
        database["database"][v]["annotations"].append({"segment": [s, e], "label_id": 0})
    preds = {"video-id": [p[0] for p in pred_rows], "t-start": np.array([p[1] for p in pred_rows]),
             "t-end": np.array([p[2] for p in pred_rows]), "label": np.zeros(len(pred_rows), dtype=int),
             "score": np.array([p[3] for p in pred_rows])}
    result = evaluate_detection(database, preds, [threshold])
    expected = definition_ap(seen, pred_rows, threshold) if pred_rows else 0.0
    assert result.ap[0, 0] == pytest.approx(expected, abs=1e-12)
    assert result.ap[0, 0] == ref_ap_one_class(seen, pred_rows, [threshold])[0]


def test_interpolation_matches_reference_on_random_curves():
    from actionformer.evaluation import interpolated_average_precision

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        precision = rng.random((3, n))
        recall = np.sort(rng.integers(0, 5, (3, n)), axis=1) / 4.0
        got = interpolated_average_precision(precision, recall)
        assert [got[t] for t in range(3)] == [ref_interpolated_prec_rec(precision[t], recall[t]) for t in range(3)]


def test_zero_length_instances_kept_behave_as_in_the_references():
    """With duplicates kept, a zero-length prediction on a zero-length instance has tIoU 0/0 = NaN;
    the references' `tiou < thr` test lets it match, and their Recall@kx's `>=` does not."""
    db = {"v": {"subset": "test", "annotations": [{"segment": [5, 5], "label_id": 0}, {"segment": [0, 10], "label_id": 0},
                                                   {"segment": [5, 5], "label_id": 0}]}}
    preds = {"video-id": ["v", "v", "v"], "t-start": np.array([5.0, 5.0, 0.0]), "t-end": np.array([5.0, 5.0, 10.0]),
             "label": np.array([0, 0, 0]), "score": np.array([0.9, 0.8, 0.7])}
    thresholds = np.array([0.3, 0.5])
    ap, recall, _ = ref_evaluate(db, None, preds, thresholds, remove_duplicates=False)
    result = evaluate_detection({"database": db}, preds, thresholds, remove_duplicates=False)
    assert np.array_equal(result.ap, ap) and np.array_equal(result.recall, recall)
    assert ap[0, 0] == 1.0 and recall[0, 0, 0] == 1 / 3


def test_identical_when_pairs_are_built_in_many_small_chunks(monkeypatch):
    from actionformer.evaluation import matching

    monkeypatch.setattr(matching, "_CHUNK", 7)
    gt, preds = make_case(77, num_videos=8, preds_per_video=30, max_gt=8)
    ap, recall, _ = ref_evaluate(gt["database"], None, preds, THRESHOLDS)
    result = evaluate_detection(gt, preds, THRESHOLDS)
    assert np.array_equal(result.ap, ap) and np.array_equal(result.recall, recall)
