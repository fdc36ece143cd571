"""Result files by extension and result kind."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from actionformer.inference import InferenceError, detection_kind, register_writer, write_results
from actionformer.inference.writers import WRITERS

RESULTS = [{"video_id": "a", "segments": torch.tensor([[1.0, 2.0], [0.5, 4.0]]), "scores": torch.tensor([0.2, 0.9]),
            "labels": torch.tensor([1, 0])},
           {"video_id": "b", "segments": torch.zeros(0, 2), "scores": torch.zeros(0),
            "labels": torch.zeros(0, dtype=torch.long)}]


def test_json_is_the_activitynet_results_format(tmp_path):
    path = write_results(RESULTS, tmp_path / "out.json", ["Jump", "Wave"])
    data = json.loads(path.read_text())
    assert data["results"]["a"][0] == {"segment": [0.5, 4.0], "label": "Jump", "label_id": 0, "score": 0.9}
    assert data["results"]["b"] == []


def test_csv_has_one_row_per_detection_best_first(tmp_path):
    path = write_results(RESULTS, tmp_path / "out.csv", ["Jump", "Wave"])
    rows = list(csv.reader(path.open()))
    assert rows == [["video", "start", "end", "label", "score"], ["a", "0.5", "4.0", "Jump", "0.9"],
                    ["a", "1.0", "2.0", "Wave", "0.2"]]


def test_existing_file_unknown_extension_and_unknown_kind_are_usage_errors(tmp_path):
    (tmp_path / "out.json").write_text("{}")
    for results, path, message in ((RESULTS, tmp_path / "out.json", "--overwrite"),
                                   (RESULTS, tmp_path / "out.txt", "use one of .csv, .json"),
                                   ([{"video_id": "a", "scores": []}], tmp_path / "o.json", "none of the keys")):
        with pytest.raises(InferenceError, match=message) as err:
            write_results(results, path)
        assert err.value.code == 2


def test_writers_dispatch_on_the_result_keys(tmp_path):
    points = [{"video_id": "a", "times": np.array([3.0]), "scores": np.array([0.5]), "labels": np.array([0])}]
    assert detection_kind(points) == "points" and detection_kind(RESULTS) == "segments"
    written = []
    register_writer("points", ".test", lambda results, path, names: written.append(len(results)))
    try:
        write_results(points, tmp_path / "p.test")
    finally:
        del WRITERS[("points", ".test")]
    assert written == [1]
