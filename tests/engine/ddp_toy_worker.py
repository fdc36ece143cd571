"""Run by test_engine_distributed.py under torchrun: toy-model runs on N gloo processes.

Writes ``<out>/rank<R>.pt`` with the step losses of an equivalence run and, for the resume
check, the final weights of an uninterrupted and of an interrupted-then-resumed run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from actionformer.engine import Trainer, TrainOptions, fix_random_seed  # noqa: E402
from actionformer.engine.checkpoint import LAST_NAME  # noqa: E402
from actionformer.engine.distributed import cleanup_distributed, get_rank, init_distributed  # noqa: E402
from engine_toys import ToyDataset, ToyDetector, ToyEvaluator, toy_config  # noqa: E402


def build(folder: Path, dropout: float, normalizer: bool, resume: Path = None, **overrides) -> Trainer:
    cfg = toy_config()
    fix_random_seed(cfg["init_rand_seed"])
    model = ToyDetector(dropout=dropout, use_normalizer=normalizer)
    train_set, val_set = ToyDataset(16, seed=1), ToyDataset(7, seed=2)
    options = TrainOptions.from_config(cfg, show_progress=False, **overrides)
    trainer = Trainer(cfg, model, train_set, folder, device=torch.device("cpu"), options=options,
                      val_dataset=val_set, evaluator=ToyEvaluator(val_set))
    if resume is not None:
        trainer.resume(resume)
    return trainer


def main(out: Path) -> None:
    init_distributed(torch.device("cpu"))
    same = build(out / "same", dropout=0.0, normalizer=False)
    same.fit()
    full = build(out / "full", dropout=0.1, normalizer=True)
    full.fit()
    build(out / "part", dropout=0.1, normalizer=True, max_epochs=2).fit()
    resumed = build(out / "part", dropout=0.1, normalizer=True, resume=out / "part" / LAST_NAME)
    resumed.fit()
    torch.save({
        "step_losses": [h["step_losses"] for h in same.state.history],
        "maps": [h["map"] for h in same.state.history],
        "weights_same": same.bare_model.state_dict(),
        "weights_full": full.bare_model.state_dict(),
        "weights_resumed": resumed.bare_model.state_dict(),
        "ema_full": full.model_ema.module.state_dict(),
        "ema_resumed": resumed.model_ema.module.state_dict(),
    }, out / f"rank{get_rank()}.pt")
    cleanup_distributed()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
