"""Experiment folder naming."""

from __future__ import annotations

from actionformer.engine.build import config_name, experiment_dir


def test_experiment_folder_names(tmp_path):
    cfg = {"output_folder": str(tmp_path)}
    assert config_name("configs/thumos_i3d.yaml") == "thumos_i3d"
    assert experiment_dir(cfg, "configs/thumos_i3d.yaml", "run1") == tmp_path / "thumos_i3d_run1"
    stamped = experiment_dir(cfg, "a/b.yaml", "")
    assert stamped.parent == tmp_path and stamped.name.startswith("b_20")
    (tmp_path / "b_2024-01-01_00-00-00").mkdir()
    (tmp_path / "b_v2_2030-01-01_00-00-00").mkdir()  # another config (b_v2.yaml): never taken
    (tmp_path / "b_named").mkdir()  # a named run: only --output NAME continues it
    assert experiment_dir(cfg, "a/b.yaml", "", resume_latest=True) == tmp_path / "b_2024-01-01_00-00-00"

