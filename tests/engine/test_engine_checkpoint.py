"""Checkpoints: atomic writes survive crashes and kill -9, pruning, RNG states, safe loading."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from actionformer.engine import checkpoint as ckpt

SRC = Path(__file__).resolve().parents[2] / "src"


def test_atomic_save_round_trip_with_weights_only(tmp_path):
    state = {"epoch": 3, "state_dict": {"w": torch.ones(2)}, "rng": [ckpt.capture_rng_state()], "config": {"a": [1, None]}}
    ckpt.atomic_torch_save(state, tmp_path / "c.pth.tar")
    loaded = ckpt.load_checkpoint_file(tmp_path / "c.pth.tar")
    assert loaded["epoch"] == 3 and torch.equal(loaded["state_dict"]["w"], torch.ones(2))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "last.pth.tar"
    ckpt.atomic_torch_save({"epoch": 1}, path)

    def broken_save(obj, handle):
        handle.write(b"partial bytes")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        ckpt.atomic_torch_save({"epoch": 2}, path)
    monkeypatch.undo()
    assert ckpt.load_checkpoint_file(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pth.tar"]


def test_kill_9_during_a_write_leaves_the_previous_checkpoint_loadable(tmp_path):
    path, ready = tmp_path / "last.pth.tar", tmp_path / "writing"
    script = textwrap.dedent(f"""
        import time, torch
        from actionformer.engine import checkpoint as ckpt
        ckpt.atomic_torch_save({{"epoch": 1, "w": torch.zeros(3)}}, {str(path)!r})
        real_save = torch.save
        def slow_save(obj, handle):
            handle.write(b"x" * 4096)
            handle.flush()
            open({str(ready)!r}, "w").close()
            time.sleep(60)
        ckpt.torch.save = slow_save
        ckpt.atomic_torch_save({{"epoch": 2, "w": torch.ones(3)}}, {str(path)!r})
    """)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.time() + 60
        while not ready.exists():
            assert proc.poll() is None, "the writer exited before writing"
            assert time.time() < deadline, "the writer never started writing"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    loaded = ckpt.load_checkpoint_file(path)
    assert loaded["epoch"] == 1 and torch.equal(loaded["w"], torch.zeros(3))


def test_keep_last_k_and_latest(tmp_path):
    for epoch in (5, 10, 15, 20):
        ckpt.atomic_torch_save({"epoch": epoch}, tmp_path / ckpt.epoch_file_name(epoch))
    assert ckpt.latest_checkpoint(tmp_path).name == "epoch_020.pth.tar"
    deleted = ckpt.prune_epoch_checkpoints(tmp_path, keep_last=2)
    assert [p.name for p in deleted] == ["epoch_005.pth.tar", "epoch_010.pth.tar"]
    assert [p.name for p in ckpt.list_epoch_checkpoints(tmp_path)] == ["epoch_015.pth.tar", "epoch_020.pth.tar"]
    ckpt.atomic_torch_save({"epoch": 21}, tmp_path / ckpt.LAST_NAME)
    assert ckpt.latest_checkpoint(tmp_path).name == ckpt.LAST_NAME
    assert ckpt.prune_epoch_checkpoints(tmp_path, keep_last=0) == []


def test_rng_states_round_trip_through_a_weights_only_file(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.standard_normal()  # leaves a cached gaussian in numpy's state
    ckpt.atomic_torch_save({"rng": ckpt.capture_rng_state()}, tmp_path / "r.pth")
    expected = (random.random(), np.random.standard_normal(), torch.rand(3))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    ckpt.restore_rng_state(ckpt.load_checkpoint_file(tmp_path / "r.pth")["rng"])
    got = (random.random(), np.random.standard_normal(), torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_save_checkpoint_best_drops_optimizer_state(tmp_path):
    ckpt.save_checkpoint({"epoch": 0, "state_dict": {}, "optimizer": {"x": 1}, "scheduler": {}}, True, tmp_path, "e.pth.tar")
    best = ckpt.load_checkpoint_file(tmp_path / ckpt.BEST_NAME)
    assert "optimizer" not in best and "scheduler" not in best and best["epoch"] == 0


def test_loading_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.pth"):
        ckpt.load_checkpoint_file(tmp_path / "nothing.pth")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="bad.pth"):
        ckpt.load_checkpoint_file(bad)


def test_strip_module_prefix():
    assert ckpt.strip_module_prefix({"module.a": 1, "module.b": 2}) == {"a": 1, "b": 2}
    assert ckpt.strip_module_prefix({"module.a": 1, "b": 2}) == {"module.a": 1, "b": 2}
