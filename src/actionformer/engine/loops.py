"""One training epoch and one validation pass (the seed's ``train_one_epoch`` / ``valid_one_epoch``).

The model returns a loss dict in training mode and per-video detections in eval mode; these
loops only sum, scale, step, average and log.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from torch import nn

from .distributed import all_gather_objects, broadcast_object, get_rank, is_main_process
from .ema import unwrap_model
from .logging import LOGGER_NAME, progress_bar
from .results_io import write_results_json

AMP_DTYPES = {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def amp_dtype_for(mode: str, device: torch.device) -> Optional[torch.dtype]:
    """The autocast dtype of ``--amp MODE`` on ``device`` (None = full precision)."""
    if mode not in AMP_DTYPES:
        raise ValueError(f"trainer.amp: unknown mode '{mode}' (choose off, fp16 or bf16)")
    if mode == "fp16" and device.type != "cuda":
        raise ValueError("trainer.amp: fp16 needs a CUDA device (use bf16 on the CPU)")
    return AMP_DTYPES[mode]


def autocast_context(device: torch.device, amp_dtype: Optional[torch.dtype]) -> Any:
    if amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=amp_dtype)


def _model_device(model: nn.Module) -> torch.device:
    for param in model.parameters():
        return param.device
    return torch.device("cpu")


def _optimizer_step(model: nn.Module, optimizer: torch.optim.Optimizer, scaler: Optional[Any],
                    clip_grad_l2norm: float) -> None:
    if clip_grad_l2norm > 0.0:
        if scaler is not None:
            scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_l2norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _log_step(tb_writer: Any, losses: Dict[str, float], lr: float, global_step: int) -> None:
    if tb_writer is None:
        return
    tb_writer.add_scalar("train/learning_rate", lr, global_step)
    others = {k: v for k, v in losses.items() if k != "final_loss"}
    if others:
        tb_writer.add_scalars("train/all_losses", others, global_step)
    if "final_loss" in losses:
        tb_writer.add_scalar("train/final_loss", losses["final_loss"], global_step)


def train_one_epoch(
    train_loader: Any,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    curr_epoch: int,
    model_ema: Optional[Any] = None,
    clip_grad_l2norm: float = -1,
    tb_writer: Any = None,
    print_freq: int = 20,
    *,
    amp_dtype: Optional[torch.dtype] = None,
    scaler: Optional[Any] = None,
    accum_steps: int = 1,
    show_progress: bool = True,
    max_epochs: Optional[int] = None,
    loss_logger: Optional[Any] = None,
) -> Dict[str, Any]:
    """Train for one epoch; returns average losses, the last learning rate and per-step losses.

    Every ``accum_steps`` micro-batches make one optimizer step (gradients of the micro-batches
    in between are not synchronized across DDP ranks); the scheduler and the EMA step with the
    optimizer. Losses are taken in float32 even under autocast. A ``loss_logger``
    (``LossLogger``) gets every micro-batch's losses and the model's ``diagnostics()``.
    """
    model.train()
    device = _model_device(model)
    num_micro = len(train_loader)
    num_steps = max(num_micro // accum_steps, 1)
    loss_names: List[str] = []
    step_losses: List[torch.Tensor] = []  # (num_losses,) per optimizer step
    pending: List[torch.Tensor] = []  # (num_losses,) per micro-batch of the current step
    desc = f"epoch {curr_epoch + 1}" + (f"/{max_epochs}" if max_epochs else "")
    bar = progress_bar(train_loader, num_micro, desc, enabled=show_progress and is_main_process())
    optimizer.zero_grad(set_to_none=True)
    for micro_idx, video_list in enumerate(bar):
        if micro_idx >= num_steps * accum_steps:
            break  # the tail that does not fill an optimizer step is dropped
        syncs = (micro_idx + 1) % accum_steps == 0
        losses = _forward_backward(model, video_list, device, amp_dtype, scaler, accum_steps, syncs,
                                   where=f"epoch {curr_epoch + 1}, batch {micro_idx}")
        loss_names = list(losses)
        if loss_logger is not None:
            loss_logger.update(losses, _diagnostics(model))
        pending.append(torch.stack(list(losses.values())))
        if not syncs:
            continue
        _optimizer_step(model, optimizer, scaler, clip_grad_l2norm)
        scheduler.step()
        if model_ema is not None:
            model_ema.update(model)
        step_losses.append(torch.stack(pending).mean(0))
        pending = []
        step_idx = len(step_losses) - 1
        if step_idx % max(print_freq, 1) == 0 or step_idx == num_steps - 1:
            values = dict(zip(loss_names, step_losses[-1].tolist()))
            lr = scheduler.get_last_lr()[0]
            _log_step(tb_writer, values, lr, curr_epoch * num_steps + step_idx)
            if loss_logger is not None:
                loss_logger.write(tb_writer, curr_epoch * num_steps + step_idx)
                bar.set_postfix(**loss_logger.postfix(), lr=f"{lr:.2e}")
            else:
                bar.set_postfix(loss=f"{values.get('final_loss', 0.0):.3f}", lr=f"{lr:.2e}")
    bar.close()
    return _epoch_stats(loss_names, step_losses, scheduler.get_last_lr()[0])


def _diagnostics(model: nn.Module) -> Dict[str, Any]:
    """The (DDP-unwrapped) model's diagnostic scalars of its last step, if it has any."""
    source = getattr(unwrap_model(model), "diagnostics", None)
    return source() if callable(source) else {}


def _forward_backward(model: nn.Module, video_list: Any, device: torch.device, amp_dtype: Optional[torch.dtype],
                      scaler: Optional[Any], accum_steps: int, syncs: bool, where: str) -> Dict[str, torch.Tensor]:
    """One micro-batch: forward under autocast, float32 loss, backward (without DDP gradient
    sync unless ``syncs``); returns the detached float32 losses."""
    no_sync = getattr(model, "no_sync", None)
    sync_ctx = no_sync() if (no_sync is not None and not syncs) else contextlib.nullcontext()
    with sync_ctx:
        with autocast_context(device, amp_dtype):
            losses = model(video_list)
        final_loss = losses["final_loss"].float()
        if not torch.isfinite(final_loss):
            ids = [v.get("video_id", "?") for v in video_list] if isinstance(video_list, list) else []
            raise FloatingPointError(
                f"{where}: the loss is {final_loss.item()} (videos {ids}); lower opt.learning_rate, "
                "set train_cfg.clip_grad_l2norm, or try --amp off"
            )
        scaled = final_loss / accum_steps
        (scaler.scale(scaled) if scaler is not None else scaled).backward()
    return {k: torch.as_tensor(v).detach().float().reshape(()) for k, v in losses.items()}


def _epoch_stats(loss_names: List[str], step_losses: List[torch.Tensor], lr: float) -> Dict[str, Any]:
    if not step_losses:
        return {"losses": {}, "lr": lr, "steps": 0, "step_losses": []}
    all_steps = torch.stack(step_losses).cpu()  # (num_steps, num_losses)
    final_idx = loss_names.index("final_loss") if "final_loss" in loss_names else 0
    return {
        "losses": dict(zip(loss_names, all_steps.mean(0).tolist())),
        "lr": lr,
        "steps": len(step_losses),
        "step_losses": all_steps[:, final_idx].tolist(),
    }


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    return np.asarray(value)


def result_arrays(out: Dict[str, Any]) -> Dict[str, Any]:
    """One video's model output as numpy arrays, keyed by what it holds: ``segments`` (K, 2)
    seconds for detection, or ``times`` (K,) seconds for point events (spotting), plus
    ``scores`` (K,) and ``labels`` (K,)."""
    row: Dict[str, Any] = {"video_id": out["video_id"]}
    if "times" in out:
        row["times"] = _to_numpy(out["times"]).reshape(-1).astype(np.float64)
    else:
        row["segments"] = _to_numpy(out["segments"]).reshape(-1, 2).astype(np.float64)
    row["scores"] = _to_numpy(out["scores"]).reshape(-1).astype(np.float64)
    row["labels"] = _to_numpy(out["labels"]).reshape(-1).astype(np.int64)
    return row


@torch.no_grad()
def predict(loader: Any, model: nn.Module, amp_dtype: Optional[torch.dtype] = None,
            show_progress: bool = False) -> List[Dict[str, Any]]:
    """This rank's results: one dict per video (see :func:`result_arrays`)."""
    model.eval()
    device = _model_device(model)
    detections: List[Dict[str, Any]] = []
    bar = progress_bar(loader, len(loader), "eval", enabled=show_progress and is_main_process())
    for video_list in bar:
        if not video_list:
            continue  # its video was left out when read (dataset.on_bad_video: skip)
        with autocast_context(device, amp_dtype):
            outputs = model(video_list)
        detections.extend(result_arrays(out) for out in outputs)
    bar.close()
    return detections


def gather_detections(local: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """All ranks' detections, sorted by video id so that the order does not depend on the split."""
    merged = [d for part in all_gather_objects(local) for d in part]
    return sorted(merged, key=lambda d: str(d["video_id"]))


def detections_to_flat(detections: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The original's result format: parallel arrays ``video-id``, ``t-start``, ``t-end``, ``label``, ``score``."""
    video_ids: List[str] = []
    for det in detections:
        video_ids.extend([det["video_id"]] * len(det["scores"]))
    def cat(key: str, col: Optional[int] = None, dtype: Any = np.float64) -> np.ndarray:
        parts = [d[key][:, col] if col is not None else d[key] for d in detections]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
    return {
        "video-id": video_ids,
        "t-start": cat("segments", 0),
        "t-end": cat("segments", 1),
        "label": cat("labels", dtype=np.int64),
        "score": cat("scores"),
    }


def _run_evaluator(evaluator: Any, detections: List[Dict[str, Any]]) -> float:
    """The headline metric in percent; ``evaluate`` returns (per-threshold, headline, ...) or the
    headline, as fractions. The task's evaluators (``EVALUATORS``) also have ``warnings`` and a
    ``report()``, which are logged; the seed's ``ANETdetection`` prints its own table."""
    outcome = evaluator.evaluate(detections)
    average = outcome[1] if isinstance(outcome, (tuple, list)) else outcome
    logger = logging.getLogger(LOGGER_NAME)
    for message in getattr(evaluator, "warnings", None) or ():
        logger.warning("Warning: %s", message)
    if callable(getattr(evaluator, "report", None)):
        logger.info(evaluator.report())
    return float(average) * 100.0


def valid_one_epoch(
    val_loader: Any,
    model: nn.Module,
    curr_epoch: int,
    ext_score_file: Optional[str] = None,
    evaluator: Optional[Any] = None,
    output_file: Optional[str] = None,
    tb_writer: Any = None,
    print_freq: int = 20,
    *,
    amp_dtype: Optional[torch.dtype] = None,
    fuse_scores: Optional[Callable[[List[Dict[str, Any]], str], List[Dict[str, Any]]]] = None,
    show_progress: bool = False,
) -> float:
    """Run the model on this rank's share of ``val_loader``, gather, evaluate on rank 0.

    Returns the average mAP in percent on every rank (0.0 when only saving to ``output_file``).
    ``fuse_scores(detections, ext_score_file)`` applies external classification scores first.
    """
    if evaluator is None and output_file is None:
        raise ValueError("valid_one_epoch needs an evaluator or an output_file")
    start = time.time()
    detections = gather_detections(predict(val_loader, model, amp_dtype, show_progress))
    average = 0.0
    if get_rank() == 0:
        if ext_score_file and fuse_scores is not None:
            detections = fuse_scores(detections, ext_score_file)
        if output_file is not None:
            write_results_json(detections, output_file)
        if evaluator is not None:
            average = _run_evaluator(evaluator, detections)
        if tb_writer is not None and evaluator is not None:
            tb_writer.add_scalar("validation/mAP", average, curr_epoch)
        logging.getLogger(LOGGER_NAME).info(
            "[Eval] epoch %d: %d videos in %.1f s", curr_epoch + 1, len(detections), time.time() - start
        )
    return float(broadcast_object(average))
