"""`actionformer train` under torchrun: 2 gloo processes, and a worker that dies is restarted and
resumes from the last checkpoint by itself (--max-restarts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actionformer.engine.checkpoint import LAST_NAME, load_checkpoint_file

SRC = Path(__file__).resolve().parents[2] / "src"


# torchrun's elastic agent sometimes fails to re-form the gloo group after a restart on a busy
# machine (a reconnect timeout, independent of this package), so this test is opt-in.
@pytest.mark.skipif(not os.environ.get("ACTIONFORMER_TEST_RESTARTS"),
                    reason="opt-in: set ACTIONFORMER_TEST_RESTARTS=1 (torchrun --max-restarts, ~20 s)")
def test_a_killed_worker_is_restarted_and_resumes(tiny_config):
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1", ACTIONFORMER_TEST_FAULT_AFTER_EPOCH="0")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "--max-restarts=1",
           "-m", "actionformer", "train", str(tiny_config), "--output", "restarts", "--device", "cpu",
           "--no-progress", "--eval-freq", "0", "--set", "opt.epochs=1", "loader.batch_size=2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "fault injection: worker 1 exits after epoch 1" in output
    exp_dir = tiny_config.parent / "ckpt" / "tiny_restarts"
    log = (exp_dir / "log.txt").read_text()
    assert "resumed from" in log and "(epoch 1 done)" in log and "(2 processes" in log
    state = load_checkpoint_file(exp_dir / LAST_NAME)
    assert state["epoch"] == 1 and state["world_size"] == 2
