"""Experiment folder naming and backbone options passed to the model."""

from __future__ import annotations

from actionformer.engine.build import _backbone_options, config_name, experiment_dir


def test_experiment_folder_names(tmp_path):
    cfg = {"output_folder": str(tmp_path)}
    assert config_name("configs/thumos_i3d.yaml") == "thumos_i3d"
    assert experiment_dir(cfg, "configs/thumos_i3d.yaml", "run1") == tmp_path / "thumos_i3d_run1"
    stamped = experiment_dir(cfg, "a/b.yaml", "")
    assert stamped.parent == tmp_path and stamped.name.startswith("b_20")
    (tmp_path / "b_old").mkdir()
    assert experiment_dir(cfg, "a/b.yaml", "", resume_latest=True) == tmp_path / "b_old"


def test_default_backbone_options_are_not_passed_to_the_original_backbones():
    defaults = {"use_rope": False, "use_flash_attn": True, "use_swiglu": False, "use_rms_norm": False,
                "n_kv_head": None}
    assert _backbone_options({"backbone_type": "convTransformer", "backbone": defaults}) is None
    changed = dict(defaults, use_rope=True)
    assert _backbone_options({"backbone_type": "convTransformer", "backbone": changed}) == {"use_rope": True}
    assert _backbone_options({"backbone_type": "convTransformerv2", "backbone": defaults}) == defaults
