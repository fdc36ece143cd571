import json

import numpy as np


def _synthetic(tmp_path, run_cli):
    code, _, _ = run_cli("make-synthetic", tmp_path / "syn", "--videos", 6, "--classes", 3, "--feat-dim", 8, "--min-len", 60, "--max-len", 80)
    assert code == 0
    return tmp_path / "syn"


def test_clean_data_exits_0(tmp_path, run_cli):
    root = _synthetic(tmp_path, run_cli)
    code, stdout, _ = run_cli("check-data", root / "synthetic.yaml", "--json", tmp_path / "r.json")
    assert code == 0, stdout
    assert "No problems found" in stdout and "Result: OK" in stdout
    assert "train split [validation]" in stdout and "instances per class" in stdout
    assert json.loads((tmp_path / "r.json").read_text())["ok"] is True


def test_problems_exit_1_and_name_video_and_file(tmp_path, run_cli):
    root = _synthetic(tmp_path, run_cli)
    victim = sorted((root / "features").glob("*.npy"))[0]
    feats = np.load(victim)
    feats[0, 0] = np.nan
    np.save(victim, feats)
    code, stdout, _ = run_cli("check-data", root / "synthetic.yaml")
    assert code == 1
    assert victim.stem in stdout and str(victim) in stdout and "NaN" in stdout and "FAILED" in stdout
    code, stdout, _ = run_cli("check-data", root / "synthetic.yaml", "--quick")
    assert code == 0, "quick mode does not read features"


def test_missing_config_is_an_error(tmp_path, run_cli):
    code, _, stderr = run_cli("check-data", tmp_path / "nope.yaml")
    assert code == 1 and "nope.yaml" in stderr
