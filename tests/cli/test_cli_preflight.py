"""The checks `train` / `eval` make before writing anything (cli/preflight.py), unit by unit."""

from __future__ import annotations

import pytest
import torch

from actionformer.cli import preflight


def test_accum_steps_that_do_not_divide_the_batch_are_named():
    cfg = {"trainer": {"accum_steps": 3}, "loader": {"batch_size": 4}}
    with pytest.raises(preflight.PreflightError, match=r"--accum-steps 3 .*divisors of 4") as info:
        preflight.check_training_flags(cfg, torch.device("cpu"))
    assert info.value.code == 2
    preflight.check_training_flags({"trainer": {"accum_steps": 2}, "loader": {"batch_size": 4}}, torch.device("cpu"))


def test_fp16_on_the_cpu_suggests_bf16():
    with pytest.raises(preflight.PreflightError, match="use --amp bf16 on the CPU"):
        preflight.check_training_flags({"trainer": {"amp": "fp16"}}, torch.device("cpu"))


def test_every_missing_dataset_path_is_named_with_its_key(tmp_path):
    cfg = {"dataset": {"json_file": str(tmp_path / "a.json"), "feat_folder": [str(tmp_path), str(tmp_path / "x")],
                       "class_list": str(tmp_path / "c.txt")}}
    with pytest.raises(preflight.PreflightError) as info:
        preflight.check_dataset_paths(cfg, "my.yaml")
    message = str(info.value)
    assert f"dataset.json_file: {tmp_path / 'a.json'} does not exist" in message
    assert f"dataset.feat_folder: {tmp_path / 'x'} does not exist" in message
    assert "dataset.class_list" in message and "my.yaml" in message and info.value.code == 2


def test_explicit_resume_file_resolves_folders_and_ignores_auto(tmp_path):
    (tmp_path / "last.pth.tar").write_bytes(b"x")
    assert preflight.explicit_resume_file("auto") is None and preflight.explicit_resume_file("") is None
    assert preflight.explicit_resume_file(str(tmp_path)) == tmp_path / "last.pth.tar"
