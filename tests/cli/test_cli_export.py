"""``actionformer export``: writes the file and its metadata, checks it, never overwrites."""

from __future__ import annotations

import json

from engine_cli_fixtures import CLASSES


def test_export_torchscript_and_refuse_to_overwrite(run_cli, trained_run, tiny_config, tmp_path):
    out = tmp_path / "model.pt"
    code, stdout, err = run_cli("export", tiny_config, trained_run, "--format", "torchscript", "--out", out)
    assert code == 0, err
    assert "input length: a multiple of" in stdout and "max |exported - PyTorch|" in stdout
    meta = json.loads((tmp_path / "model.pt.json").read_text())
    assert meta["class_names"] == CLASSES and meta["max_abs_difference"] <= 1e-4
    code, _, err = run_cli("export", tiny_config, trained_run, "--format", "torchscript", "--out", out)
    assert code == 2 and "--overwrite" in err


def test_export_onnx(run_cli, trained_run, tiny_config, tmp_path):
    code, _, err = run_cli("export", tiny_config, trained_run, "--format", "onnx", "--out", tmp_path / "m.onnx")
    assert code == 0, err
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_export_to_an_unwritable_path_is_a_named_usage_error(run_cli, trained_run, tiny_config, tmp_path):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "model.pt"
    code, _, err = run_cli("export", tiny_config, trained_run, "--format", "torchscript", "--out", out)
    assert code == 2 and f"--out {out}: cannot write" in err


def test_export_refuses_a_file_name_of_the_other_format(run_cli, trained_run, tiny_config, tmp_path):
    code, _, err = run_cli("export", tiny_config, trained_run, "--format", "torchscript", "--out", tmp_path / "m.onnx")
    assert code == 2 and "a torchscript file should end in .pt or .pth or .ts" in err
    assert not (tmp_path / "m.onnx").exists()
