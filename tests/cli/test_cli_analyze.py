"""`actionformer analyze GT PRED --out DIR`: tables, json, charts; overwrite and errors."""

import json

from plot_cli_fixtures import PNG


def test_writes_report_json_and_charts(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "analysis"
    code, stdout, err = run_cli("analyze", *gt_and_pred_files, "--tiou", "0.5", "--out", out)
    assert code == 0, err
    assert "False-positive profile" in stdout and "Sensitivity (DETAD)" in stdout
    assert (out / "report.txt").read_text() == stdout
    payload = json.loads((out / "analysis.json").read_text())
    assert payload["false_positives"]["normalized_ap"] is True
    assert set(payload["sensitivity"]["characteristics"]) == {"length", "coverage"}
    for name in ("false_positives.png", "sensitivity.png"):
        assert (out / name).read_bytes()[:8] == PNG


def test_options_reach_the_analysis(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "a"
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", out, "--plain-ap", "--top-factor", "3", "--no-plots",
                           "--length-bins", "0", "9.5", "inf", "--coverage-bins", "0", "0.5", "1")
    assert code == 0, err
    payload = json.loads((out / "analysis.json").read_text())
    assert list(payload["false_positives"]["profile"]) == ["1G", "2G", "3G"]
    assert payload["false_positives"]["normalized_ap"] is False
    assert [b["num_instances"] for b in payload["sensitivity"]["characteristics"]["length"]] == [0, 3]
    assert sorted(p.name for p in out.iterdir()) == ["analysis.json", "report.txt"]


def test_an_earlier_analysis_needs_overwrite(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "a"
    assert run_cli("analyze", *gt_and_pred_files, "--out", out, "--no-plots")[0] == 0
    before = (out / "report.txt").read_text()
    (out / "report.txt").write_text("edited")
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", out, "--no-plots")
    assert code == 2 and "--overwrite" in err and (out / "report.txt").read_text() == "edited"
    assert run_cli("analyze", *gt_and_pred_files, "--out", out, "--no-plots", "--overwrite")[0] == 0
    assert (out / "report.txt").read_text() == before


def test_bad_inputs_are_named(run_cli, tmp_path, gt_and_pred_files):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    code, _, err = run_cli("analyze", gt_and_pred_files[0], empty, "--out", tmp_path / "a")
    assert code == 2 and str(empty) in err and "not valid json" in err
    code, _, err = run_cli("analyze", empty, gt_and_pred_files[1], "--out", tmp_path / "a")
    assert code == 2 and "ground-truth file" in err
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", tmp_path / "a", "--length-bins", "5", "1")
    assert code == 2 and "increasing" in err
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", tmp_path / "a", "--top-factor", "0")
    assert code == 2 and "--top-factor" in err
    assert not (tmp_path / "a").exists()


def test_missing_matplotlib_stops_before_any_work_unless_no_plots(run_cli, tmp_path, gt_and_pred_files, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", tmp_path / "a")
    assert code == 2 and 'pip install "actionformer[plot]"' in err and "--no-plots" in err
    assert not (tmp_path / "a").exists()
    code, _, err = run_cli("analyze", *gt_and_pred_files, "--out", tmp_path / "a", "--no-plots")
    assert code == 0, err


def test_out_that_is_a_file_fails_before_any_work(run_cli, tmp_path, gt_and_pred_files):
    out = tmp_path / "report.png"
    out.write_bytes(b"mine")
    code, stdout, err = run_cli("analyze", *gt_and_pred_files, "--out", out)
    assert code == 2 and f"--out {out} is a file" in err
    assert stdout == "" and out.read_bytes() == b"mine"  # no report printed, nothing touched
