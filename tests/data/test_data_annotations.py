import numpy as np
import pytest

from actionformer.data.annotations import build_label_dict, load_annotations, load_class_list, load_csv_annotations
from actionformer.data.report import DataError


def test_json_duplicate_video_ids_are_reported(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"database": {"v1": {"subset": "training", "annotations": []},'
                    ' "v1": {"subset": "training", "annotations": []}}}')
    db = load_annotations(str(path))
    assert [(p.video_id, p.field) for p in db.problems] == [("v1", "video id")]


def test_json_malformed_entries_become_problems(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"database": {"v1": {"subset": "training", "duration": 5, "fps": 30,'
                    ' "annotations": [{"segment": [1], "label": "x", "label_id": 0},'
                    ' {"segment": [1, 2], "label_id": 0}, {"segment": [1, 2], "label": "x", "label_id": 0}]}}}')
    db = load_annotations(str(path))
    fields = sorted(p.field for p in db.problems)
    assert fields == ["annotations[0].segment", "annotations[1].label"]
    assert db.videos["v1"].num_instances == 1


def test_json_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_annotations(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DataError, match="not valid json"):
        load_annotations(str(tmp_path / "bad.json"))
    (tmp_path / "nodb.json").write_text("{}")
    with pytest.raises(DataError, match="database"):
        load_annotations(str(tmp_path / "nodb.json"))


def _write_csvs(tmp_path, ann_rows, video_rows, video_header="video,duration,fps,subset"):
    ann = tmp_path / "ann.csv"
    ann.write_text("video,start,end,label\n" + "\n".join(ann_rows) + "\n")
    vids = tmp_path / "videos.csv"
    vids.write_text(video_header + "\n" + "\n".join(video_rows) + "\n")
    return str(ann), str(vids)


def test_csv_annotations_and_video_list(tmp_path):
    ann, vids = _write_csvs(tmp_path, ["a,1.0,2.0,jump", "a,3,4,run", "b,0.5,1,jump"],
                            ["a,10,30,training", "b,5,25,validation", "c,7,30,training"])
    db = load_annotations(ann, vids)
    assert not db.problems
    assert list(db.videos) == ["a", "b", "c"]
    np.testing.assert_allclose(db.videos["a"].segments, [[1, 2], [3, 4]])
    assert db.videos["a"].labels == ["jump", "run"] and db.videos["c"].num_instances == 0
    assert db.videos["b"].fps == 25.0 and db.videos["b"].subset == "validation"
    label_dict, problems = build_label_dict(db)
    assert label_dict == {"jump": 0, "run": 1} and not problems


def test_csv_problems(tmp_path):
    ann, vids = _write_csvs(tmp_path, ["a,1.0,x,jump", "zz,1,2,jump", "a,1,2,"],
                            ["a,10,30,training", "a,10,30,training", "b,abc,30,"])
    db = load_annotations(ann, vids)
    by_field = {(p.field, p.video_id) for p in db.problems}
    assert ("video id", "a") in by_field  # duplicate in the video list
    assert ("duration", "b") in by_field
    assert ("segment", "a") in by_field
    assert ("video", "zz") in by_field
    assert ("label", "a") in by_field
    assert all(p.file and ".csv:" in p.file for p in db.problems)


def test_csv_needs_video_list_and_header(tmp_path):
    ann, vids = _write_csvs(tmp_path, ["a,1,2,x"], ["a,10,30,training"], video_header="name,len,rate")
    with pytest.raises(DataError, match="video_list"):
        load_csv_annotations(ann, None)
    with pytest.raises(DataError, match="missing column"):
        load_annotations(ann, vids)


def test_csv_without_subset_column_is_reported(tmp_path):
    ann, vids = _write_csvs(tmp_path, ["a,1,2,x"], ["a,10,30"], video_header="video,duration,fps")
    db = load_annotations(ann, vids)
    assert any(p.field == "subset" for p in db.problems)


def test_class_list(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("jump\nrun\n\n")
    assert load_class_list(str(path)) == ["jump", "run"]
    path.write_text("jump\njump\n")
    with pytest.raises(DataError, match="twice"):
        load_class_list(str(path))


def test_label_dict_conflicts(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"database": {"v": {"subset": "t", "annotations": ['
                    '{"segment": [1, 2], "label": "x", "label_id": 0}, {"segment": [1, 2], "label": "x", "label_id": 1},'
                    '{"segment": [1, 2], "label": "y", "label_id": 0}]}}}')
    _, problems = build_label_dict(load_annotations(str(path)))
    assert any("has label_id" in p.message for p in problems)
    assert any("share label_id" in p.message for p in problems)

