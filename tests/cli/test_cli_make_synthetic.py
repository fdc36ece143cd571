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


def test_an_earlier_dataset_is_not_overwritten_without_asking(tmp_path, run_cli):
    out = tmp_path / "syn"
    small = ["--videos", 6, "--classes", 3, "--feat-dim", 8, "--min-len", 60, "--max-len", 100]
    assert run_cli("make-synthetic", out, *small)[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, _, stderr = run_cli("make-synthetic", out, *small, "--seed", 5)
    assert code == 2 and "--overwrite" in stderr and "already holds a synthetic dataset" in stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    code, _, _ = run_cli("make-synthetic", out, "--videos", 4, "--classes", 3, "--feat-dim", 8,
                         "--min-len", 60, "--max-len", 100, "--seed", 5, "--overwrite")
    assert code == 0 and len(list((out / "features").glob("*.npy"))) == 4  # no stale features left
    # another --name would still write into the same features/ folder: refused too
    assert run_cli("make-synthetic", out, *small, "--name", "other")[0] == 2
