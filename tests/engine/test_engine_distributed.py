"""torchrun with 2 gloo processes: same trajectory as one process on the same global batch,
same validation mAP (validation split across ranks and gathered), exact resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from actionformer.engine import Trainer, TrainOptions, fix_random_seed
from actionformer.engine.distributed import all_gather_objects, get_world_size, is_distributed
from engine_toys import ToyDataset, ToyDetector, ToyEvaluator, toy_config

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(HERE / "ddp_toy_worker.py"), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("single")
    cfg = toy_config()
    fix_random_seed(cfg["init_rand_seed"])
    model = ToyDetector(dropout=0.0, use_normalizer=False)
    train_set, val_set = ToyDataset(16, seed=1), ToyDataset(7, seed=2)
    trainer = Trainer(cfg, model, train_set, tmp_path, device=torch.device("cpu"),
                      options=TrainOptions.from_config(cfg, show_progress=False),
                      val_dataset=val_set, evaluator=ToyEvaluator(val_set))
    trainer.fit()
    return trainer


def test_two_processes_follow_the_single_process_trajectory(two_process_run, single):
    single_losses = [h["step_losses"] for h in single.state.history]
    rank_losses = [r["step_losses"] for r in two_process_run]
    # each rank's loss is the mean over its half of the global batch
    ddp_losses = [[(a + b) / 2 for a, b in zip(e0, e1)] for e0, e1 in zip(*rank_losses)]
    assert len(ddp_losses) == len(single_losses) == 4
    for ours, theirs in zip(ddp_losses, single_losses):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)
    for key, value in single.bare_model.state_dict().items():
        torch.testing.assert_close(two_process_run[0]["weights_same"][key], value, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(two_process_run[1]["weights_same"][key], two_process_run[0]["weights_same"][key],
                                   rtol=0, atol=0)


def test_gathered_validation_gives_the_single_process_map(two_process_run, single):
    assert two_process_run[0]["maps"] == pytest.approx([h["map"] for h in single.state.history])
    assert two_process_run[1]["maps"] == two_process_run[0]["maps"]  # broadcast to every rank


def test_two_process_resume_matches_uninterrupted_run(two_process_run):
    for rank in two_process_run:
        for key in rank["weights_full"]:
            torch.testing.assert_close(rank["weights_resumed"][key], rank["weights_full"][key], rtol=0, atol=0)
            torch.testing.assert_close(rank["ema_resumed"][key], rank["ema_full"][key], rtol=0, atol=0)


def test_helpers_degrade_to_a_single_process():
    assert not is_distributed() and get_world_size() == 1
    assert all_gather_objects({"a": 1}) == [{"a": 1}]
