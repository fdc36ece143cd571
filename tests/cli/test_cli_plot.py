"""`actionformer plot timeline|pr`: pictures written, and named errors on bad input."""

import pytest
from plot_cli_fixtures import PNG


def test_timeline_writes_a_png(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "pics" / "a.png"
    code, _, err = run_cli("plot", "timeline", *gt_and_pred_files, "--video", "vid_a", "--out", out)
    assert code == 0, err
    assert out.read_bytes()[:8] == PNG
    assert "thresholds" not in err  # a timeline has no use for them


def test_pr_and_per_class(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "pr.png"
    code, _, err = run_cli("plot", "pr", *gt_and_pred_files, "--tiou", "0.5", "0.7", "--out", out)
    assert code == 0, err
    code, _, err = run_cli("plot", "pr", *gt_and_pred_files, "--per-class", "--classes", "Run", "--out", out, "--overwrite")
    assert code == 0, err
    assert out.read_bytes()[:8] == PNG


def test_unknown_video_lists_valid_ones(run_cli, tmp_path, gt_and_pred_files):
    code, _, err = run_cli("plot", "timeline", *gt_and_pred_files, "--video", "vid_c", "--out", tmp_path / "x.png")
    assert code == 2
    assert "video 'vid_c'" in err and "vid_a" in err
    assert not (tmp_path / "x.png").exists()


def test_existing_picture_needs_overwrite(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "a.png"
    out.write_bytes(b"mine")
    code, _, err = run_cli("plot", "timeline", *gt_and_pred_files, "--video", "vid_a", "--out", out)
    assert code == 2 and "--overwrite" in err
    assert out.read_bytes() == b"mine"


@pytest.mark.parametrize("content, message", [
    ("", "not valid json"),
    ('{"results": {}}', "holds no predictions"),
    ('{"something": 1}', "'results' (official ActivityNet)"),
    ('{"results": {"vid_a": [{"label": "Jump", "score": 0.9}]}}', "'segment' must be [start, end]"),
])
def test_bad_prediction_files(run_cli, tmp_path, gt_and_pred_files, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = run_cli("plot", "pr", gt_and_pred_files[0], bad, "--out", tmp_path / "x.png")
    assert code == 2
    assert str(bad) in err and message in err


def test_bad_options(run_cli, tmp_path, gt_and_pred_files):
    code, _, err = run_cli("plot", "pr", *gt_and_pred_files, "--classes", "Run", "--out", tmp_path / "x.png")
    assert code == 2 and "--classes needs --per-class" in err
    code, _, err = run_cli("plot", "pr", *gt_and_pred_files, "--per-class", "--classes", "Rnu", "--out", tmp_path / "x.png")
    assert code == 2 and "unknown class(es) ['Rnu']" in err
    code, _, err = run_cli("plot", "timeline", *gt_and_pred_files, "--video", "vid_a", "--out", tmp_path / "x.png", "--top-k", "0")
    assert code == 2 and "--top-k" in err
    code, _, err = run_cli("plot", "pr", *gt_and_pred_files, "--out", tmp_path / "x.unknownformat")
    assert code == 2 and "cannot write" in err


def test_missing_matplotlib_is_a_clear_error(run_cli, tmp_path, gt_and_pred_files, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, _, err = run_cli("plot", "timeline", *gt_and_pred_files, "--video", "vid_a", "--out", tmp_path / "x.png")
    assert code == 2
    assert 'pip install "actionformer[plot]"' in err
