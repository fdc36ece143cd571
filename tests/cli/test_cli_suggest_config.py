"""actionformer suggest-config on the real THUMOS14 annotations and on a config."""

from __future__ import annotations

from pathlib import Path

import yaml

from actionformer.cli.main import main

THUMOS = Path(__file__).resolve().parents[1] / "fixtures" / "thumos14.json"


def test_annotation_file_prints_table_histogram_and_writes_a_patch(tmp_path, capsys):
    patch = tmp_path / "patch.yaml"
    argv = ["suggest-config", str(THUMOS), "--feat-stride", "4", "--train-split", "validation", "--write", str(patch)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "200 videos, 3007 actions, 20 classes" in out
    assert "model.regression_range" in out and "half-span (steps)" in out
    assert "no feature folder given" in out  # says what it could not check
    written = yaml.safe_load(patch.read_text())
    assert written["model"]["backbone_arch"] == [2, 2, 5]  # the default config's 6 levels are kept
    assert "--set 'model.backbone_arch=[2, 2, 5]'" in patch.read_text()
    assert main(argv) == 1  # nothing is overwritten without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(argv + ["--overwrite"]) == 0


def test_wrong_split_names_the_subsets(capsys):
    assert main(["suggest-config", str(THUMOS), "--feat-stride", "4", "--train-split", "training"]) == 1
    err = capsys.readouterr().err
    assert "no video in training split ['training']" in err and "Validation" in err


def test_thumos_convention_is_the_default_split_of_an_annotation_file(capsys):
    """Validation/Test subsets and no --train-split: the Validation videos are the training set (said)."""
    assert main(["suggest-config", str(THUMOS), "--feat-stride", "4"]) == 0
    out = capsys.readouterr().out
    assert "200 videos, 3007 actions, 20 classes" in out
    assert "training split: 'validation'" in out


def test_default_train_split_guess():
    from actionformer.advice.stats import default_train_split

    assert default_train_split(["training", "validation"]) == (["training"], None)
    assert default_train_split(["Validation", "Test"])[0] == ["validation"]
    assert default_train_split(["validation", "other"]) == (["training"], None)  # no guess: named error


def test_config_source_reads_its_dataset_keys(tmp_path, capsys):
    cfg = tmp_path / "thumos.yaml"
    text = (Path(__file__).resolve().parents[2] / "configs" / "thumos_i3d.yaml").read_text()
    cfg.write_text(text.replace("./data/thumos/annotations/thumos14.json", str(THUMOS)))
    assert main(["suggest-config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "features not found" in out and "dataset.max_seq_len" in out


def test_write_to_an_unwritable_path_is_a_named_error(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    patch = tmp_path / "afile" / "patch.yaml"
    assert main(["suggest-config", str(THUMOS), "--feat-stride", "4", "--write", str(patch)]) == 2
    assert f"--write {patch}: cannot write" in capsys.readouterr().err


def test_a_data_folder_reads_its_one_config_or_annotation_file(tmp_path, capsys):
    cfg = tmp_path / "data" / "thumos.yaml"
    cfg.parent.mkdir()
    text = (Path(__file__).resolve().parents[2] / "configs" / "thumos_i3d.yaml").read_text()
    cfg.write_text(text.replace("./data/thumos/annotations/thumos14.json", str(THUMOS)))
    assert main(["suggest-config", str(cfg.parent)]) == 0  # was: [Errno 21] Is a directory
    captured = capsys.readouterr()
    assert f"reading {cfg}" in captured.err and "dataset.max_seq_len" in captured.out
    (cfg.parent / "other.yaml").write_text("{}")
    assert main(["suggest-config", str(cfg.parent)]) == 1
    assert "several candidates" in capsys.readouterr().err


def test_a_spotting_config_is_a_named_error(capsys):
    spot = Path(__file__).resolve().parents[2] / "configs" / "soccernet_snapformer.yaml"
    assert main(["suggest-config", str(spot)]) == 1
    assert "soccernet (spotting) config is not supported" in capsys.readouterr().err
