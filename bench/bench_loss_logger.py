"""Cost of the LossLogger (trainer.loss_logger, on by default): training step time with and
without it, on the demo-sized model and data, 1 CPU thread.

A step = forward, losses, backward, optimizer step; "on" adds the model's diagnostics
(positives and IoU per level, recorded in LocPointTransformer.losses) and LossLogger.update.
Steps alternate off/on so that load from other jobs hits both alike; medians are compared.
Prints a table and writes bench/results/loss_logger.json. Target: under 2% of step time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import DEMO_MODEL  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "loss_logger.json"


def _added_code_ms(model, batch, logger, repeats: int = 200) -> float:
    """Median time of exactly what the logger adds to a step, on one batch's tensors."""
    from actionformer.modeling.meta_archs.diagnostics import point_diagnostics

    with torch.no_grad():
        length = model.train_length([v["feats"].shape[-1] for v in batch])
        feats, masks = model._batch(batch, length)
        out = model.forward_dense(feats, masks)
        gt_cls, gt_offsets = model.assign_targets(out, [v["segments"] for v in batch], [v["labels"] for v in batch])
        pos = (gt_cls.sum(-1) > 0) & torch.cat(out.masks, dim=1)
    offsets, lengths = torch.cat(out.offsets, dim=1), [x.shape[1] for x in out.offsets]
    losses = {"cls_loss": torch.tensor(0.5), "reg_loss": torch.tensor(0.3), "final_loss": torch.tensor(0.8)}
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        logger.update(losses, point_diagnostics(lengths, offsets, gt_offsets, pos))
        runs.append((time.perf_counter() - began) * 1e3)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60, help="steps per setting")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from actionformer.config import load_config
    from actionformer.data.synthetic import make_synthetic_dataset
    from actionformer.engine.build import build_dataset, build_model
    from actionformer.engine.loss_logger import LossLogger

    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = make_synthetic_dataset(tmp, num_videos=32, num_classes=4, feat_dim=32, seed=0, max_seq_len=128,
                                          min_len=64, max_len=128, config_overrides={"model": DEMO_MODEL})
        cfg = load_config(cfg_path)
        dataset = build_dataset(cfg, True, cfg["train_split"])
        videos = [dataset[i] for i in range(len(dataset))]
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    logger = LossLogger()
    batches = [videos[i:i + 4] for i in range(0, len(videos) - 3, 4)]

    def step(batch, on: bool) -> float:
        model.record_diagnostics(on)
        began = time.perf_counter()
        losses = model(batch)
        losses["final_loss"].backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if on:
            logger.update({k: v.detach() for k, v in losses.items()}, model.diagnostics())
        return (time.perf_counter() - began) * 1e3

    for batch in batches[:3]:  # warm-up
        step(batch, False)
        step(batch, True)
    off, on = [], []
    for i in range(args.steps):
        batch = batches[i % len(batches)]
        if i % 2:  # alternate which setting goes first, so order effects cancel
            off.append(step(batch, False))
            on.append(step(batch, True))
        else:
            on.append(step(batch, True))
            off.append(step(batch, False))
    med_off, med_on = statistics.median(off), statistics.median(on)
    added = _added_code_ms(model, batches[0], logger)
    row = {"steps": args.steps, "median_ms_off": med_off, "median_ms_on": med_on,
           "added_code_ms": added, "overhead_pct": 100 * added / med_off,
           "end_to_end_pct": 100 * (med_on - med_off) / med_off,
           "machine": "2-core CPU shared with other jobs, 1 thread"}
    print(f"{'setting':<12} {'median step ms':>15}")
    print(f"{'off':<12} {med_off:>15.2f}\n{'on':<12} {med_on:>15.2f}  ({row['end_to_end_pct']:+.2f}%, noisy)")
    print(f"the added code alone (diagnostics + LossLogger.update): {added:.3f} ms = "
          f"{row['overhead_pct']:.2f}% of the step")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
