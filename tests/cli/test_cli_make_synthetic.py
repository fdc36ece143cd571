import yaml


def test_make_synthetic_writes_data_and_config(tmp_path, run_cli):
    out = tmp_path / "syn"
    code, stdout, _ = run_cli("make-synthetic", out, "--videos", 6, "--classes", 3, "--feat-dim", 8,
                              "--seed", 1, "--name", "mini", "--epochs", 3, "--min-len", 60, "--max-len", 100)
    assert code == 0
    assert f"actionformer train {out / 'mini.yaml'}" in stdout
    cfg = yaml.safe_load((out / "mini.yaml").read_text())
    assert cfg["opt"]["epochs"] == 3 and cfg["dataset"]["num_classes"] == 3
    assert len(list((out / "features").glob("*.npy"))) == 6


def test_make_synthetic_bad_knob(tmp_path, run_cli):
    code, _, stderr = run_cli("make-synthetic", tmp_path, "--videos", 1)
    assert code == 2 and "num_videos" in stderr  # errors go to stderr, as in every command


def test_make_synthetic_help(run_cli):
    code, stdout, _ = run_cli("make-synthetic", "-h")
    assert code == 0 and "--feat-dim" in stdout
