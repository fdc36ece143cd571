"""The printed table keeps the original release's format (log parsers rely on it)."""

import re

import numpy as np

from actionformer.evaluation import ANETdetection, evaluate_detection, format_report
from synthetic_cases import make_case

LINE = re.compile(r"^\|tIoU = \d\.\d\d: mAP = \d+\.\d\d \(%\) Recall@1x = \d+\.\d\d \(%\) Recall@5x = \d+\.\d\d \(%\) $")


def test_report_lines_follow_the_original_format():
    gt, preds = make_case(3)
    result = evaluate_detection(gt, preds, np.linspace(0.3, 0.7, 5), dataset_name="thumos-14")
    lines = format_report(result).splitlines()
    assert lines[0] == "[RESULTS] Action detection results on thumos-14."
    assert lines[1] == ""
    assert all(LINE.match(line) for line in lines[2:7]), lines
    assert lines[2].startswith("|tIoU = 0.30: ")
    assert lines[7] == "Average mAP: {:>4.2f} (%)".format(result.average_mAP * 100)


def test_per_class_table_is_sorted_best_first():
    gt, preds = make_case(4)
    result = evaluate_detection(gt, preds, [0.5])
    text = format_report(result, per_class=True)
    assert "AP per class (%)" in text
    averages = [e["average_ap"] for e in result.per_class()]
    assert averages == sorted(averages, reverse=True)
    table = text.split("AP per class (%), sorted by average AP over the thresholds:\n")[1].splitlines()[1:]
    assert [row.split()[1] for row in table] == [e["label"] for e in result.per_class()]


def test_anetdetection_prints_and_returns_the_seed_triple(capsys):
    gt, preds = make_case(5)
    evaluator = ANETdetection(gt, "test", np.linspace(0.3, 0.7, 5), dataset_name="toy")
    mAP, average_mAP, mRecall = evaluator.evaluate(preds, verbose=True)
    out = capsys.readouterr().out
    assert "[RESULTS] Action detection results on toy." in out and "Average mAP:" in out
    assert mAP.shape == (5,) and mRecall.shape == (5, 2) and average_mAP == mAP.mean()
    assert evaluator.ap.shape == (5, len(evaluator.activity_index))


def test_json_summary_round_trips():
    import json

    gt, preds = make_case(6)
    summary = evaluate_detection(gt, preds, [0.5, 0.7]).to_dict()
    again = json.loads(json.dumps(summary))
    assert again["tiou_thresholds"] == [0.5, 0.7] and set(again["recall"]) == {"1x", "5x"}
    assert again["average_mAP"] == np.mean(again["mAP"])
