"""``actionformer evaluate --task spotting GT PRED`` on SoccerNet folders and on our point json."""

import json

from spotting_cases import reference_cases, write_case


def test_soccernet_folders_print_the_reference_numbers(run_cli, tmp_path):
    case = reference_cases()["unshown"]
    labels_root, preds_root = write_case(case, tmp_path)
    out = tmp_path / "res.json"
    code, stdout, stderr = run_cli("evaluate", "--task", "spotting", labels_root, preds_root, "--per-class",
                                   "--out", out)
    assert code == 0, stderr
    tight = case["reference"]["tight"]["a_mAP"]
    assert stdout.strip().splitlines()[-1] == f"Average mAP: {tight * 100:.2f} (%) [tight a-mAP]"
    assert "Yellow->red card" in stdout  # the per-class table
    saved = json.loads(out.read_text())
    assert abs(saved["loose"]["a_mAP"] - case["reference"]["loose"]["a_mAP"]) <= 1e-12


def test_point_json_with_options(run_cli, tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"database": {"v": {"subset": "test", "annotations": [
        {"time": 10.0, "label": "snap"}, {"time": 40.0, "label": "snap"}]}}}))
    preds = tmp_path / "p.json"
    preds.write_text(json.dumps({"results": {"v": [{"time": 10.4, "label": "snap", "score": 0.9}]}}))
    code, stdout, stderr = run_cli("evaluate", "--task", "spotting", gt, preds, "--metric", "frame",
                                   "--tolerances", "0.5", "--tolerance-unit", "seconds")
    assert code == 0, stderr
    # one of two events found within 0.5 s: AP = 1 (precision at the hit) / 2 events
    assert stdout.strip().splitlines()[-1].startswith("Average mAP: 50.00 (%) [frame-tolerance")


def test_errors_are_one_line_with_exit_code_2(run_cli, tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"database": {"v": {"annotations": [{"time": 1.0, "label": "snap"}]}}}))
    code, _, stderr = run_cli("evaluate", "--task", "spotting", gt, tmp_path / "nothing.json")
    assert code == 2 and "prediction file not found" in stderr and "Traceback" not in stderr
    preds = tmp_path / "p.json"
    preds.write_text(json.dumps({"results": {"v": [{"time": 1.0, "label": "other", "score": 0.5}]}}))
    code, _, stderr = run_cli("evaluate", "--task", "spotting", gt, preds)
    assert code == 2 and "no predictions of the ground truth's classes" in stderr


def test_config_of_a_spotting_model_sets_task_and_eval_cfg(run_cli, tmp_path, monkeypatch):
    import yaml

    from actionformer.config import components

    monkeypatch.setattr(components, "task_of", lambda name: "spotting")  # as a SnapFormer config would
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"dataset_name": "custom", "eval_cfg": {"metric": "loose"},
                                      "dataset": {"default_fps": 30, "feat_stride": 15},
                                      "output_folder": str(tmp_path)}))
    case = reference_cases()["basic"]
    labels_root, preds_root = write_case(case, tmp_path)
    code, stdout, stderr = run_cli("evaluate", labels_root, preds_root, "--config", config)
    assert code == 0, stderr
    loose = case["reference"]["loose"]["a_mAP"]
    assert stdout.strip().splitlines()[-1] == f"Average mAP: {loose * 100:.2f} (%) [loose a-mAP]"
    assert "2 steps per second" in stderr  # default_fps / feat_stride of the config


def test_config_class_names_set_the_classes_of_a_soccernet_folder(run_cli, tmp_path):
    """A soccernet config with dataset.class_names (a synthetic-class folder) needs no --classes."""
    import yaml

    labels = tmp_path / "labels" / "l" / "s" / "g"
    labels.mkdir(parents=True)
    (labels / "Labels-v2.json").write_text(json.dumps({"annotations": [
        {"gameTime": "1 - 00:10", "label": "Event01", "position": "10000", "visibility": "visible"},
        {"gameTime": "2 - 00:20", "label": "Event00", "position": "20000", "visibility": "visible"}]}))
    preds = tmp_path / "preds" / "l" / "s" / "g"
    preds.mkdir(parents=True)
    (preds / "results_spotting.json").write_text(json.dumps({"predictions": [
        {"gameTime": "1 - 00:10", "label": "Event01", "position": "10000", "half": 1, "confidence": 0.9},
        {"gameTime": "2 - 00:20", "label": "Event00", "position": "20000", "half": 2, "confidence": 0.8}]}))
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "dataset_name": "soccernet", "model_name": "SnapFormer", "output_folder": str(tmp_path),
        "dataset": {"root": str(tmp_path / "labels"), "split_files": {"valid": "v.txt"},
                    "class_names": ["Event00", "Event01"], "num_classes": 2}}))
    code, stdout, stderr = run_cli("evaluate", tmp_path / "labels", tmp_path / "preds", "--config", config)
    assert code == 0, stderr
    assert stdout.strip().splitlines()[-1] == "Average mAP: 100.00 (%) [tight a-mAP]"


def test_split_on_a_soccernet_folder_keeps_the_games_of_the_configs_game_lists(run_cli, tmp_path):
    """--split was ignored on a labels folder (every game scored); now the config's game list picks them."""
    import yaml

    for game, label in (("l/s/train_game", "Event00"), ("l/s/valid_game", "Event01")):
        labels = tmp_path / "labels" / game
        labels.mkdir(parents=True)
        (labels / "Labels-v2.json").write_text(json.dumps({"annotations": [
            {"gameTime": "1 - 00:10", "label": label, "position": "10000", "visibility": "visible"}]}))
    preds = tmp_path / "preds" / "l" / "s" / "valid_game"
    preds.mkdir(parents=True)
    (preds / "results_spotting.json").write_text(json.dumps({"predictions": [
        {"gameTime": "1 - 00:10", "label": "Event01", "position": "10000", "half": 1, "confidence": 0.9}]}))
    (tmp_path / "labels" / "valid.txt").write_text("l/s/valid_game\n")
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "dataset_name": "soccernet", "model_name": "SnapFormer", "output_folder": str(tmp_path),
        "dataset": {"root": str(tmp_path / "labels"), "split_files": {"valid": "valid.txt"},
                    "class_names": ["Event01"], "num_classes": 1}}))
    code, stdout, stderr = run_cli("evaluate", tmp_path / "labels", tmp_path / "preds", "--config", config,
                                   "--split", "valid")
    assert code == 0, stderr
    assert "on 2 videos" in stdout  # the valid game's two halves, not the train game's
    assert stdout.strip().splitlines()[-1] == "Average mAP: 100.00 (%) [tight a-mAP]"
    code, _, stderr = run_cli("evaluate", tmp_path / "labels", tmp_path / "preds", "--config", config,
                              "--split", "test")
    assert code == 2 and "has no such subset" in stderr
    code, _, stderr = run_cli("evaluate", "--task", "spotting", tmp_path / "labels", tmp_path / "preds",
                              "--split", "valid")
    assert code == 2 and "needs --config with dataset.split_files" in stderr
