"""Per-class NMS tables: their value type, class ids checked at load, names resolved per dataset."""

from __future__ import annotations

import pytest

from actionformer.postprocess.class_params import ClassTable, class_id_problems, resolve_class_tables


def test_class_table_accepts_ids_and_names_and_refuses_the_rest():
    table = ClassTable(hi=1.0)
    assert table.check(None) is None
    assert table.check({0: 0.5, "Diving": 0.3}) is None
    assert "neither a class id nor a class name" in table.check({-1: 0.5})
    assert "neither a class id nor a class name" in table.check({1.5: 0.5})
    assert "has 1.5" in table.check({0: 1.5})
    assert "has 0" in table.check({0: 0})
    assert table.check([0.5]) is not None
    assert "mapping" in table.describe()


def test_class_ids_must_exist():
    cfg = {"class_sigma": {0: 0.5, 7: 0.3}, "class_iou_threshold": {"Diving": 0.3}}
    assert class_id_problems(cfg, 5) == [
        "test_cfg.class_sigma: class ids [7] are not < dataset.num_classes (5)"]
    assert class_id_problems({"class_sigma": None}, 5) == []


def test_names_become_ids_and_unknown_names_are_errors():
    labels = {"Diving": 3, "Shotput": 1}
    cfg = {"nms_sigma": 0.5, "class_sigma": {"Diving": 0.3, 0: 0.9}, "class_iou_threshold": None}
    resolved = resolve_class_tables(cfg, labels)
    assert resolved["class_sigma"] == {3: 0.3, 0: 0.9}
    assert cfg["class_sigma"] == {"Diving": 0.3, 0: 0.9}  # the config is left as written
    with pytest.raises(ValueError, match=r"unknown class 'Divng' \(did you mean 'Diving'\?\)"):
        resolve_class_tables({"class_sigma": {"Divng": 0.3}}, labels)
    with pytest.raises(ValueError, match="given twice"):
        resolve_class_tables({"class_iou_threshold": {"Diving": 0.3, 3: 0.4}}, labels)
