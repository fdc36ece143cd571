"""On the real THUMOS14 annotation file: ground truth as predictions scores 100 everywhere."""

import numpy as np
import pytest

from actionformer.evaluation import ANETdetection, default_tiou_thresholds

@pytest.fixture(scope="module")
def evaluator(thumos14_json):
    return ANETdetection(str(thumos14_json), "test", default_tiou_thresholds("thumos"))


def test_ground_truth_as_predictions_gives_100(evaluator):
    gt = evaluator.ground_truth
    preds = {"video-id": [gt.video_ids[v] for v in gt.gt_video], "t-start": gt.gt_start, "t-end": gt.gt_end,
             "label": gt.gt_label, "score": np.ones(len(gt))}
    mAP, average_mAP, mRecall = evaluator.evaluate(preds, verbose=False)
    assert mAP.tolist() == [1.0] * 5 and average_mAP == 1.0 and np.all(mRecall == 1.0)
    assert len(evaluator.activity_index) == 20
    assert not evaluator.result.warnings


def test_shifted_predictions_lose_the_strict_thresholds(evaluator):
    gt = evaluator.ground_truth
    length = gt.gt_end - gt.gt_start
    preds = {"video-id": [gt.video_ids[v] for v in gt.gt_video], "t-start": gt.gt_start + 0.25 * length,
             "t-end": gt.gt_end + 0.25 * length, "label": gt.gt_label, "score": np.linspace(1, 0.5, len(gt))}
    mAP, _, _ = evaluator.evaluate(preds, verbose=False)
    # a quarter-length shift gives tIoU 0.6 with its own instance: full marks up to 0.6, little at 0.7
    assert mAP[:3].min() > 0.95 and mAP[4] < 0.2
