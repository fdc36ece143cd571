"""`actionformer train` end to end on a tiny dataset: experiment folder, overrides, resume."""

from __future__ import annotations

import yaml
import torch

from actionformer.engine.checkpoint import LAST_NAME, load_checkpoint_file


def test_training_writes_the_experiment_folder(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {"config.yaml", "log.txt", "logs", LAST_NAME, "model_best.pth.tar", "epoch_002.pth.tar"} <= names
    assert list((trained_run / "logs").glob("events.out.tfevents.*"))
    log = (trained_run / "log.txt").read_text()
    assert "[Train] epoch 3/3" in log and "Average mAP:" in log and "All done!" in log
    saved = yaml.safe_load((trained_run / "config.yaml").read_text())
    assert saved["trainer"]["eval_freq"] == 1 and saved["opt"]["epochs"] == 2
    state = load_checkpoint_file(trained_run / LAST_NAME)
    assert state["epoch"] == 2 and state["config"]["opt"]["epochs"] == 2
    assert set(state["state_dict"]) == set(state["state_dict_ema"])


def test_bad_override_is_rejected_before_training(run_cli, tiny_config):
    code, out, err = run_cli("train", tiny_config, "--set", "opt.epochz=3")
    assert code == 2 and "opt.epochz" in err


def test_interrupted_then_resumed_run_ends_with_the_same_weights(run_cli, tiny_config):
    common = ["--no-progress", "--eval-freq", "0", "--set", "opt.epochs=1", "train_cfg.dropout=0.1"]
    code, _, _ = run_cli("train", tiny_config, "--output", "full", *common)
    assert code == 0
    code, _, _ = run_cli("train", tiny_config, "--output", "cut", *common, "opt.early_stop_epochs=1")
    assert code == 0
    root = tiny_config.parent / "ckpt"
    code, out, _ = run_cli("train", tiny_config, "--output", "cut", "--resume", "auto", *common)
    assert code == 0 and "resumed from" in out
    full = load_checkpoint_file(root / "tiny_full" / LAST_NAME)
    resumed = load_checkpoint_file(root / "tiny_cut" / LAST_NAME)
    assert full["epoch"] == resumed["epoch"] == 1
    for key, value in full["state_dict"].items():
        torch.testing.assert_close(resumed["state_dict"][key], value, rtol=0, atol=0)
        torch.testing.assert_close(resumed["state_dict_ema"][key], full["state_dict_ema"][key], rtol=0, atol=0)


def test_bf16_training_through_the_cli(run_cli, tiny_config):
    code, out, _ = run_cli("train", tiny_config, "--output", "bf16", "--amp", "bf16", "--no-progress",
                           "--eval-freq", "0", "--set", "opt.epochs=1", "opt.warmup_epochs=0")
    assert code == 0 and "[Train] epoch 1/1" in out
    state = load_checkpoint_file(tiny_config.parent / "ckpt" / "tiny_bf16" / LAST_NAME)
    assert all(torch.isfinite(v).all() for v in state["state_dict"].values() if v.is_floating_point())


def _snapshot(folder):
    """Every file's bytes hash and mtime under ``folder``."""
    import hashlib

    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


ONE_EPOCH = ["--no-progress", "--eval-freq", "0", "--set", "opt.epochs=1", "opt.warmup_epochs=0"]


def test_reusing_an_output_name_is_refused_and_leaves_every_file_as_it_was(run_cli, tiny_config, trained_run):
    before = _snapshot(trained_run)
    code, out, err = run_cli("train", tiny_config, "--output", "shared", *ONE_EPOCH)
    assert code == 2 and "already holds a run" in err and "--resume auto" in err and "--overwrite" in err
    assert _snapshot(trained_run) == before
    # --overwrite with a wrong data path fails before the old files are removed
    code, _, _ = run_cli("train", tiny_config, "--output", "shared", "--overwrite", *ONE_EPOCH,
                         f"dataset.feat_folder={tiny_config.parent / 'no_such_folder'}")
    assert code != 0 and _snapshot(trained_run) == before


def test_overwrite_removes_the_old_run_first(run_cli, tiny_config):
    code, _, _ = run_cli("train", tiny_config, "--output", "ow", *ONE_EPOCH)
    folder = tiny_config.parent / "ckpt" / "tiny_ow"
    assert code == 0
    (folder / "notes.txt").write_text("from the first run")
    code, _, _ = run_cli("train", tiny_config, "--output", "ow", "--overwrite", *ONE_EPOCH, "init_rand_seed=7")
    assert code == 0 and not (folder / "notes.txt").exists()
    assert yaml.safe_load((folder / "config.yaml").read_text())["init_rand_seed"] == 7
    assert load_checkpoint_file(folder / LAST_NAME)["config"]["init_rand_seed"] == 7


def test_a_run_failing_before_its_first_step_leaves_no_folder(run_cli, tiny_config):
    code, out, err = run_cli("train", tiny_config, "--output", "baddata", *ONE_EPOCH,
                             f"dataset.feat_folder={tiny_config.parent / 'no_such_folder'}")
    assert code == 2 and "no_such_folder" in out + err  # a dataset path that does not exist: usage error
    assert not (tiny_config.parent / "ckpt" / "tiny_baddata").exists()


def test_resume_path_continues_in_the_checkpoints_folder(run_cli, tiny_config):
    code, _, _ = run_cli("train", tiny_config, "--output", "src", *ONE_EPOCH, "opt.epochs=2", "opt.early_stop_epochs=1")
    root = tiny_config.parent / "ckpt"
    assert code == 0 and load_checkpoint_file(root / "tiny_src" / LAST_NAME)["epoch"] == 0
    code, out, _ = run_cli("train", tiny_config, "--resume", root / "tiny_src" / LAST_NAME, "--output", "elsewhere",
                           *ONE_EPOCH, "opt.epochs=2")
    assert code == 0 and "resumed from" in out
    assert not (root / "tiny_elsewhere").exists()
    state = load_checkpoint_file(root / "tiny_src" / LAST_NAME)
    assert state["epoch"] == 1 and state["ema_updates"] == state["iteration"]


def test_threads_flag_sets_torchs_thread_count_and_rejects_zero(run_cli, tiny_config):
    code, _, err = run_cli("train", tiny_config, "--output", "t0", "--threads", "0", *ONE_EPOCH)
    assert code == 2 and "--threads 0" in err
    code, _, _ = run_cli("train", tiny_config, "--output", "t2", "--threads", "2", *ONE_EPOCH)
    assert code == 0 and torch.get_num_threads() == 2


def test_a_training_split_without_videos_is_a_data_error(run_cli, tiny_config):
    """train_split naming no subset of the data: exit 1, one message (was a traceback)."""
    code, out, err = run_cli("train", tiny_config, "--output", "nosplit", *ONE_EPOCH, "train_split=[nosuch]")
    assert code == 1 and "Traceback" not in out + err
    assert "the training split [nosuch] has no video" in out + err
    assert not (tiny_config.parent / "ckpt" / "tiny_nosplit").exists()


def test_an_unknown_class_name_in_test_cfg_is_a_usage_error_without_a_folder(run_cli, tiny_config):
    # before: a ConfigurationError traceback from build_model (constraints naming an unknown class)
    code, out, err = run_cli("train", tiny_config, "--output", "badclass", *ONE_EPOCH,
                             "test_cfg.constraints={classes: {Nope: {min_duration: 1}}}")
    assert code == 2 and "unknown class 'Nope'" in err and "Traceback" not in out + err
    assert not (tiny_config.parent / "ckpt" / "tiny_badclass").exists()
