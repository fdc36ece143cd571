"""The example under examples/custom_dataset passes check-data and loads."""

from pathlib import Path

import pytest

from actionformer.data import check_data_from_config, make_dataset

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "custom_dataset" / "config.yaml"


@pytest.fixture
def example_cfg(monkeypatch):
    from actionformer.config import load_config

    monkeypatch.chdir(REPO_ROOT)
    return load_config(EXAMPLE)


def test_example_is_clean(example_cfg):
    report = check_data_from_config(example_cfg)
    assert report.ok and not report.problems, report.format()
    assert report.summary["splits"]["train"]["num_videos"] == 6
    assert list(report.summary["instances_per_class"]) == ["open_door", "pour_water", "wave_hand"]


def test_example_items_and_user_class(example_cfg, monkeypatch):
    ds = make_dataset("custom", True, example_cfg["train_split"], **example_cfg["dataset"])
    item = ds[(0, 0)]
    assert item["feats"].shape[0] == 16 and item["labels"].tolist() == [1]
    monkeypatch.syspath_prepend(str(EXAMPLE.parent))
    from actionformer.data import DATASETS, import_custom_modules

    try:
        import_custom_modules({"custom_imports": ["my_datasets"]})
        mine = make_dataset("clips_with_offsets", False, ["training"], **example_cfg["dataset"])
        assert mine[0]["feats"].shape[1] == ds.read_features("clip_01").shape[0] - 1
        assert mine.get_attributes()["dataset_name"] == "my clips"
    finally:
        DATASETS._entries.pop("clips_with_offsets", None)
