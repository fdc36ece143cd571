"""run_folder: which experiment folder a run uses, and when it may write or remove it."""

from __future__ import annotations

import pytest

from actionformer.engine.run_folder import (RunFolderError, check_output_name, create_run_folder,
                                            plan_run_folder, remove_if_no_checkpoint)

CFG_NAME = "exp.yaml"


def _cfg(tmp_path):
    return {"output_folder": str(tmp_path / "ckpt")}


def _plan(tmp_path, output="a", resume="", overwrite=False, restarting=False):
    return plan_run_folder(_cfg(tmp_path), CFG_NAME, output, resume, overwrite, restarting)


def test_a_new_name_plans_a_fresh_folder_and_touches_nothing(tmp_path):
    plan = _plan(tmp_path)
    assert plan.path == tmp_path / "ckpt" / "exp_a" and plan.resume_from is None and not plan.replace
    assert not (tmp_path / "ckpt").exists()


def test_an_existing_run_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "ckpt" / "exp_a").mkdir(parents=True)
    (tmp_path / "ckpt" / "exp_a" / "config.yaml").write_text("x")
    with pytest.raises(RunFolderError, match="--resume auto.*--overwrite.*another --output"):
        _plan(tmp_path)
    assert _plan(tmp_path, overwrite=True).replace


def test_an_empty_existing_folder_is_used(tmp_path):
    (tmp_path / "ckpt" / "exp_a").mkdir(parents=True)
    assert not _plan(tmp_path).replace


def test_overwrite_removes_the_old_files_only_when_the_folder_is_created(tmp_path):
    old = tmp_path / "ckpt" / "exp_a"
    old.mkdir(parents=True)
    (old / "last.pth.tar").write_text("old")
    plan = _plan(tmp_path, overwrite=True)
    assert (old / "last.pth.tar").exists()  # planning removes nothing
    # the old run is gone once the folder is made anew: the new folder is this run's own (to
    # remove again if the new run fails before its first checkpoint)
    assert create_run_folder(plan)
    assert old.is_dir() and list(old.iterdir()) == []


def test_resume_path_continues_in_the_checkpoints_folder(tmp_path):
    run = tmp_path / "elsewhere" / "run1"
    run.mkdir(parents=True)
    (run / "epoch_004.pth.tar").write_text("x")
    plan = _plan(tmp_path, output="other", resume=str(run))
    assert plan.path == run and plan.resume_from == run / "epoch_004.pth.tar" and plan.continuing
    plan = _plan(tmp_path, resume=str(run / "epoch_004.pth.tar"))
    assert plan.path == run and plan.resume_from == run / "epoch_004.pth.tar"


def test_resume_errors_and_conflicts(tmp_path):
    with pytest.raises(RunFolderError, match="no such checkpoint"):
        _plan(tmp_path, resume=str(tmp_path / "missing.pth.tar"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match="no checkpoint"):
        _plan(tmp_path, resume=str(tmp_path / "empty"))
    with pytest.raises(RunFolderError, match="cannot be combined"):
        _plan(tmp_path, resume="auto", overwrite=True)


def test_auto_and_torchrun_restarts_reuse_the_named_folder(tmp_path):
    run = tmp_path / "ckpt" / "exp_a"
    run.mkdir(parents=True)
    (run / "last.pth.tar").write_text("x")
    for plan in (_plan(tmp_path, resume="auto"), _plan(tmp_path, restarting=True)):
        assert plan.path == run and plan.resume_from == run / "last.pth.tar" and not plan.replace


def test_output_must_be_a_name(tmp_path):
    for bad in ("../x", "a/b", "..", "."):
        with pytest.raises(RunFolderError, match="a name, not a path"):
            check_output_name(bad)


def test_a_created_folder_without_checkpoint_is_removed_after_a_failure(tmp_path):
    plan = _plan(tmp_path)
    assert create_run_folder(plan)
    (plan.path / "log.txt").write_text("failed")
    assert remove_if_no_checkpoint(plan, created=True) and not plan.path.exists()
    create_run_folder(plan)
    (plan.path / "last.pth.tar").write_text("x")
    assert not remove_if_no_checkpoint(plan, created=True) and plan.path.is_dir()


def _checkpoint(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"x")
    return folder / name


def test_a_restart_after_resume_file_continues_from_the_newest_checkpoint(tmp_path):
    run = tmp_path / "ckpt" / "exp_r"
    first = _checkpoint(run, "epoch_005.pth.tar")
    _checkpoint(run, "epoch_010.pth.tar")
    assert _plan(tmp_path, resume=str(first)).resume_from == first  # the first attempt: as asked
    restarted = _plan(tmp_path, resume=str(first), restarting=True)
    assert restarted.path == run and restarted.resume_from.name != first.name


def test_a_restart_of_an_overwrite_run_continues_its_folder(tmp_path):
    _checkpoint(tmp_path / "ckpt" / "exp_a", "last.pth.tar")
    plan = _plan(tmp_path, overwrite=True, restarting=True)
    assert plan.continuing and not plan.replace and plan.resume_from.name == "last.pth.tar"
    with pytest.raises(RunFolderError, match="cannot be combined"):
        _plan(tmp_path, overwrite=True, resume="auto")


def test_a_restart_without_output_continues_the_recorded_folder_only(tmp_path, monkeypatch):
    other = tmp_path / "ckpt" / "exp_v2_2024-01-01_00-00-00"  # another config's run
    _checkpoint(other, "last.pth.tar")
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "0")
    fresh = _plan(tmp_path, output="", restarting=True)  # nothing recorded: a new folder
    assert fresh.path != other and fresh.resume_from is None
    mine = tmp_path / "ckpt" / "exp_2025-05-05_10-00-00"
    create_run_folder(plan_run_folder(_cfg(tmp_path), CFG_NAME, "", "", False, False).__class__(mine))
    from actionformer.engine.run_folder import record_folder

    record_folder(_cfg(tmp_path), mine)
    assert _plan(tmp_path, output="", restarting=True).path == mine


def test_resume_auto_without_output_ignores_other_configs_folders(tmp_path):
    _checkpoint(tmp_path / "ckpt" / "exp_v2_2030-01-01_00-00-00", "last.pth.tar")
    own = tmp_path / "ckpt" / "exp_2024-01-01_00-00-00"
    _checkpoint(own, "last.pth.tar")
    assert _plan(tmp_path, output="", resume="auto").path == own


def test_a_folder_filled_after_the_plan_is_not_shared(tmp_path):
    plan = _plan(tmp_path)
    _checkpoint(plan.path, "config.yaml")  # another run with the same name got there first
    with pytest.raises(RunFolderError, match="already holds a run"):
        create_run_folder(plan)


def test_an_overwrite_run_that_fails_early_removes_its_new_folder(tmp_path):
    _checkpoint(tmp_path / "ckpt" / "exp_a", "last.pth.tar")
    plan = _plan(tmp_path, overwrite=True)
    assert create_run_folder(plan) is True  # made anew
    assert remove_if_no_checkpoint(plan, True) and not plan.path.exists()
