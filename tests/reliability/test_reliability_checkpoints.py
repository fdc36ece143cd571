"""Bad checkpoints in `eval` and `train --resume`: named errors (exit 2), nothing changed."""

from __future__ import annotations

import pytest
import torch
from reliability_helpers import FAST, snapshot, unchanged


def _bad_checkpoint(kind, folder, good):
    path = folder / f"{kind}.pth.tar"
    if kind == "random":
        path.write_bytes(bytes(range(256)) * 20)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[:5000])
    return path


CASES = [("random", "not a PyTorch checkpoint"), ("empty", "the file is empty"),
         ("truncated", "not a complete PyTorch file")]


@pytest.mark.parametrize("kind, excerpt", CASES)
def test_eval_names_an_unreadable_checkpoint(run_cli, trained, tmp_path, kind, excerpt):
    ckpt = _bad_checkpoint(kind, tmp_path, trained.parent / "ckpt" / "tiny_ok" / "last.pth.tar")
    before = snapshot(trained.parent)
    code, out, err = run_cli("eval", trained, ckpt)
    assert code == 2 and str(ckpt) in err and excerpt in err and "Traceback" not in err
    assert unchanged(before, trained.parent)


@pytest.mark.parametrize("kind, excerpt", CASES)
def test_resume_names_an_unreadable_checkpoint(run_cli, trained, tmp_path, kind, excerpt):
    ckpt = _bad_checkpoint(kind, tmp_path, trained.parent / "ckpt" / "tiny_ok" / "last.pth.tar")
    before = snapshot(trained.parent)
    code, _, err = run_cli("train", trained, *FAST, "--output", f"r_{kind}", "--resume", ckpt)
    assert code == 2 and f"--resume {ckpt}" in err and excerpt in err
    assert unchanged(before, trained.parent) and not (trained.parent / "ckpt" / f"tiny_r_{kind}").exists()


def test_pickled_objects_are_refused(run_cli, trained, tmp_path):
    ckpt = tmp_path / "pickled.pth.tar"
    torch.save({"state_dict": {}, "payload": _Payload()}, ckpt)
    code, _, err = run_cli("eval", trained, ckpt)
    assert code == 2 and "pickled Python objects" in err and "never loaded" in err


class _Payload:
    pass


def test_checkpoint_of_another_config_names_the_first_mismatch(run_cli, trained):
    other = ["--set", "model.embd_dim=32", "model.fpn_dim=32"]
    run = trained.parent / "ckpt" / "tiny_ok"
    before = snapshot(run)
    code, _, err = run_cli("eval", trained, run, *other)
    assert code == 2
    assert "first: backbone.embd.0.conv.weight: model (32, 16, 3) vs checkpoint (16, 16, 3)" in err
    assert "another config" in err and unchanged(before, run)
    code, _, err = run_cli("train", trained, *FAST, *other, "--output", "wrong", "--resume", run / "last.pth.tar")
    assert code == 2 and "first: backbone.embd.0.conv.weight" in err
    assert unchanged(before, run)  # found before any folder is opened
    assert not (trained.parent / "ckpt" / "tiny_wrong").exists()


def test_resume_from_weights_only_checkpoint_says_which_to_use(run_cli, trained):
    best = trained.parent / "ckpt" / "tiny_ok" / "model_best.pth.tar"
    if not best.exists():  # no validation in this run: make a weights-only file
        state = torch.load(trained.parent / "ckpt" / "tiny_ok" / "last.pth.tar", weights_only=True)
        torch.save({"state_dict": state["state_dict"]}, best)
    code, _, err = run_cli("train", trained, *FAST, "--output", "wo", "--resume", best)
    assert code == 2 and "cannot be resumed from" in err and "last.pth.tar" in err
