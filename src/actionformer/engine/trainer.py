"""The training run: epochs, AMP, accumulation, DDP, EMA, validation, checkpoints and resume.

A :class:`Trainer` is given a built model and datasets; it owns everything else. It works the
same in a single process and under torchrun (call ``init_distributed`` first): the
configuration's ``loader.batch_size`` is the global batch of one optimizer step and the
learning rate is used as is, so a run's numerics do not depend on the number of processes.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

import torch
from torch import nn

from . import checkpoint as ckpt
from .distributed import all_gather_objects, barrier, get_rank, get_world_size, is_distributed, is_main_process
from .ema import ModelEma, unwrap_model
from .loaders import make_train_loader, make_val_loader, per_process_batch_size, set_loader_epoch
from .logging import LOGGER_NAME, EpochTimer, NullWriter, format_duration
from .loops import amp_dtype_for, train_one_epoch, valid_one_epoch
from .optim import make_optimizer, make_scheduler, total_epochs


@dataclass
class TrainOptions:
    """Knobs of a run, read from the config's ``trainer`` / ``opt`` / ``loader`` / ``train_cfg``."""

    max_epochs: int
    amp: str = "off"
    accum_steps: int = 1
    eval_freq: int = 0
    ckpt_freq: int = 5
    print_freq: int = 10
    keep_last: int = 3
    ema_decay: float = 0.999
    ema_warmup: bool = True
    clip_grad_l2norm: float = -1.0
    seed: int = 1234567891
    num_workers: int = 0
    pin_memory: bool = False
    show_progress: bool = True
    find_unused_parameters: bool = False
    fault_after_epoch: Optional[int] = None  # testing hook: die after this epoch (first attempt only)
    loss_logger: bool = True  # moving averages + per-level positives / IoU (LossLogger)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **overrides: Any) -> "TrainOptions":
        trainer = dict(cfg.get("trainer") or {})
        train_cfg = cfg.get("train_cfg") or (cfg.get("model") or {}).get("train_cfg") or {}
        loader = cfg.get("loader") or {}
        values = dict(
            max_epochs=total_epochs(cfg.get("opt") or {}),
            amp=str(trainer.get("amp", "off")),
            accum_steps=int(trainer.get("accum_steps", 1)),
            eval_freq=int(trainer.get("eval_freq", 0)),
            ckpt_freq=int(trainer.get("ckpt_freq", 5)),
            print_freq=int(trainer.get("print_freq", 10)),
            loss_logger=bool(trainer.get("loss_logger", True)),
            keep_last=int(trainer.get("keep_last", 3)),
            ema_decay=float(trainer.get("ema_decay", 0.999)),
            ema_warmup=bool(trainer.get("ema_warmup", True)),
            clip_grad_l2norm=float(train_cfg.get("clip_grad_l2norm", -1)),
            seed=int(cfg.get("init_rand_seed", 1234567891)),
            num_workers=int(loader.get("num_workers", 0)),
            pin_memory=bool(loader.get("pin_memory", False)),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class RunState:
    start_epoch: int = 0
    best_map: float = -1.0
    best_epoch: int = -1
    last_map: Optional[float] = None
    history: List[Dict[str, Any]] = field(default_factory=list)


class Trainer:
    """Trains ``model`` on ``train_dataset``; validates with the EMA model on ``val_dataset``.

    ``evaluator`` has ``evaluate(detections) -> (mAPs, average)``; ``report(detections)``
    (optional) returns the text table to log. Rank 0 writes logs, events and checkpoints
    under ``exp_dir``.
    """

    def __init__(self, cfg: Mapping[str, Any], model: nn.Module, train_dataset: Any, exp_dir: Path, *,
                 device: torch.device, options: Optional[TrainOptions] = None, val_dataset: Any = None,
                 evaluator: Any = None, tb_writer: Any = None,
                 fuse_scores: Optional[Callable[..., Any]] = None) -> None:
        self.cfg = cfg
        self.options = options or TrainOptions.from_config(cfg)
        self.device = device
        self.exp_dir = Path(exp_dir)
        self.rank, self.world_size = get_rank(), get_world_size()
        self.logger = logging.getLogger(LOGGER_NAME)
        self.tb_writer = tb_writer if tb_writer is not None else NullWriter()
        self.evaluator, self.fuse_scores = evaluator, fuse_scores
        self.amp_dtype = amp_dtype_for(self.options.amp, device)
        self.state = RunState()
        opts = self.options
        global_batch = int((cfg.get("loader") or {}).get("batch_size", 1))
        micro = per_process_batch_size(global_batch, self.world_size, opts.accum_steps)
        self.train_loader = make_train_loader(train_dataset, micro, opts.num_workers, opts.seed, self.rank,
                                              self.world_size, opts.pin_memory and device.type == "cuda")
        self.val_loader = make_val_loader(val_dataset, self.rank, self.world_size) if val_dataset is not None else None
        self.iters_per_epoch = len(self.train_loader) // opts.accum_steps
        if self.iters_per_epoch < 1:  # a DataError (a ValueError): the CLI prints it and exits 1
            from actionformer.data import DataError
            from actionformer.data.report import ERROR, Problem

            split = ", ".join(str(s) for s in cfg.get("train_split") or [])
            if len(train_dataset) == 0:
                problem = Problem(ERROR, "train_split", f"the training split [{split}] has no video: check "
                                  "train_split and the subsets (or game lists) of the data")
            else:
                problem = Problem(ERROR, "loader.batch_size", f"the training split [{split}] has "
                                  f"{len(train_dataset)} videos: too few for one global batch of {global_batch} "
                                  "(loader.batch_size); lower it")
            raise DataError([problem], header="cannot train")
        model.to(device)
        self.model_ema = ModelEma(model, decay=opts.ema_decay, warmup=opts.ema_warmup)
        self.optimizer = make_optimizer(model, cfg.get("opt") or {})
        self.scheduler = make_scheduler(self.optimizer, cfg.get("opt") or {}, self.iters_per_epoch)
        self.scaler = torch.amp.GradScaler("cuda") if self.options.amp == "fp16" else None
        self.model = self._wrap(model)
        self.loss_logger = self._make_loss_logger(model) if opts.loss_logger else None

    @staticmethod
    def _make_loss_logger(model: nn.Module) -> Any:
        """A LossLogger, and the model asked to record its diagnostics (when it has any)."""
        from .loss_logger import LossLogger

        record = getattr(model, "record_diagnostics", None)
        if callable(record):
            record(True)
        return LossLogger()

    def _wrap(self, model: nn.Module) -> nn.Module:
        if not is_distributed():
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(
            model, device_ids=device_ids, find_unused_parameters=self.options.find_unused_parameters
        )

    @property
    def bare_model(self) -> nn.Module:
        return unwrap_model(self.model)

    # ------------------------------------------------------------------ checkpoints
    def _extra_state(self) -> Dict[str, Any]:
        """The model's training state outside its state dict (e.g. the original's running loss
        normalizer), which a model offers through ``training_state()`` / ``load_training_state``
        (kept out of the state dict so the original's checkpoints keep their exact keys)."""
        get_state = getattr(self.bare_model, "training_state", None)
        state = dict(get_state()) if callable(get_state) else {}
        return {k: v.detach().cpu().clone() if isinstance(v, torch.Tensor) else v for k, v in state.items()}

    def checkpoint_state(self, epoch: int) -> Dict[str, Any]:
        """Everything needed to continue exactly (collective: every rank must call it)."""
        per_rank = all_gather_objects({"rng": ckpt.capture_rng_state(), "extra": self._extra_state()})
        return {
            "epoch": epoch,
            "iteration": (epoch + 1) * self.iters_per_epoch,
            "state_dict": self.bare_model.state_dict(),
            "state_dict_ema": self.model_ema.module.state_dict(),
            "ema_updates": self.model_ema.updates,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": [p["rng"] for p in per_rank],
            "extra_state": [p["extra"] for p in per_rank],
            "world_size": self.world_size,
            "best_map": self.state.best_map,
            "best_epoch": self.state.best_epoch,
            "map": self.state.last_map,
            "config": _plain(self.cfg),
        }

    def save(self, epoch: int, is_best: bool) -> None:
        state = self.checkpoint_state(epoch)
        if is_main_process():
            opts = self.options
            ckpt.save_checkpoint(state, is_best, self.exp_dir, ckpt.LAST_NAME)
            is_last = epoch == opts.max_epochs - 1
            if is_last or (opts.ckpt_freq > 0 and epoch % opts.ckpt_freq == 0 and epoch > 0):
                ckpt.atomic_torch_save(state, self.exp_dir / ckpt.epoch_file_name(epoch))
                ckpt.prune_epoch_checkpoints(self.exp_dir, opts.keep_last)
        barrier()

    def resume(self, path: Path, state: Optional[Dict[str, Any]] = None) -> None:
        """Load a checkpoint written by :meth:`save` and continue after its epoch; ``state``: the
        checkpoint already loaded from ``path`` (a caller that checked it need not load it twice)."""
        if state is None:
            state = ckpt.load_checkpoint_file(path, map_location="cpu")
        missing = [k for k in ("state_dict", "optimizer", "scheduler", "epoch") if k not in state]
        if missing:
            raise ValueError(f"{path} cannot be resumed from: it has no {', '.join(missing)} "
                             "(a model_best / released checkpoint holds weights only)")
        self.bare_model.load_state_dict(ckpt.strip_module_prefix(state["state_dict"]))
        self.model_ema.module.load_state_dict(ckpt.strip_module_prefix(state.get("state_dict_ema") or state["state_dict"]))
        # the count sets the next decay; a checkpoint without it had one EMA update per step
        # (and one without an iteration either, as the original's, ran whole epochs)
        done = state.get("iteration", (int(state["epoch"]) + 1) * self.iters_per_epoch)
        self.model_ema.updates = int(state.get("ema_updates", done))
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        same_world = int(state.get("world_size", 1)) == self.world_size
        slot = self.rank if same_world else 0
        if state.get("rng"):
            ckpt.restore_rng_state(state["rng"][slot])
        extra = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v
                 for k, v in (state.get("extra_state") or [{}])[slot].items()}
        load_state = getattr(self.bare_model, "load_training_state", None)
        if extra and callable(load_state):
            load_state(extra)
        if not same_world:
            self.logger.warning("resuming a %s-process run on %d processes: random streams differ from an "
                                "uninterrupted run", state.get("world_size"), self.world_size)
        self.state.start_epoch = int(state["epoch"]) + 1
        self.state.best_map = float(state.get("best_map", -1.0))
        self.state.best_epoch = int(state.get("best_epoch", -1))
        self.logger.info("=> resumed from %s (epoch %d done)", path, int(state["epoch"]) + 1)

    # ------------------------------------------------------------------ the loop
    def should_validate(self, epoch: int) -> bool:
        if self.val_loader is None or self.evaluator is None:
            return False
        freq = self.options.eval_freq
        return epoch == self.options.max_epochs - 1 or (freq > 0 and (epoch + 1) % freq == 0)

    def validate(self, epoch: int) -> float:
        """mAP of the EMA model; the random generators are left as they were, so that how often
        a run validates never changes its training."""
        rng = ckpt.capture_rng_state()
        try:
            return valid_one_epoch(
                self.val_loader, self.model_ema.module, epoch,
                ext_score_file=(self.cfg.get("test_cfg") or {}).get("ext_score_file"),
                evaluator=self.evaluator, tb_writer=self.tb_writer, amp_dtype=None,  # detections in float32
                fuse_scores=self.fuse_scores,
            )
        finally:
            ckpt.restore_rng_state(rng)

    def fit(self) -> RunState:
        """Train from ``state.start_epoch`` to the last epoch; returns the run's summary."""
        opts, timer = self.options, EpochTimer()
        for epoch in range(self.state.start_epoch, opts.max_epochs):
            timer.start()
            set_loader_epoch(self.train_loader, epoch, opts.seed)
            stats = train_one_epoch(
                self.train_loader, self.model, self.optimizer, self.scheduler, epoch,
                model_ema=self.model_ema, clip_grad_l2norm=opts.clip_grad_l2norm, tb_writer=self.tb_writer,
                print_freq=opts.print_freq, amp_dtype=self.amp_dtype, scaler=self.scaler,
                accum_steps=opts.accum_steps, show_progress=opts.show_progress, max_epochs=opts.max_epochs,
                loss_logger=self.loss_logger,
            )
            is_best = False
            if self.should_validate(epoch):
                self.state.last_map = self.validate(epoch)
                is_best = self.state.last_map > self.state.best_map
                if is_best:
                    self.state.best_map, self.state.best_epoch = self.state.last_map, epoch
            self.save(epoch, is_best)
            self._summarize(epoch, stats, timer.stop(epoch), timer.eta(opts.max_epochs - epoch - 1))
            self._maybe_inject_fault(epoch)
        self.tb_writer.flush()
        return self.state

    def _summarize(self, epoch: int, stats: Dict[str, Any], seconds: float, eta: float) -> None:
        losses = stats["losses"]
        parts = ", ".join(f"{k} {v:.4f}" for k, v in losses.items() if k != "final_loss")
        line = (f"[Train] epoch {epoch + 1}/{self.options.max_epochs}: loss {losses.get('final_loss', math.nan):.4f}"
                f"{' (' + parts + ')' if parts else ''} | lr {stats['lr']:.3e} | {seconds:.1f} s | ETA {format_duration(eta)}")
        if self.state.last_map is not None and self.should_validate(epoch):
            line += (f" | val avg mAP {self.state.last_map:.2f} (best {self.state.best_map:.2f} "
                     f"@ epoch {self.state.best_epoch + 1})")
        self.logger.info(line)
        if self.loss_logger is not None and self.loss_logger.steps:
            self.logger.info("[Train] epoch %d/%d %s", epoch + 1, self.options.max_epochs, self.loss_logger.summary())
        self.state.history.append({"epoch": epoch, **losses, "lr": stats["lr"], "seconds": seconds,
                                   "step_losses": stats["step_losses"], "map": self.state.last_map})

    def _maybe_inject_fault(self, epoch: int) -> None:
        """Die like a crashed worker (for testing torchrun --max-restarts), on the first attempt only."""
        from .distributed import restart_count

        if self.options.fault_after_epoch is not None and epoch == self.options.fault_after_epoch \
                and restart_count() == 0 and self.rank == self.world_size - 1:
            import os

            self.logger.warning("fault injection: worker %d exits after epoch %d", self.rank, epoch + 1)
            os._exit(13)


def _plain(value: Any) -> Any:
    """The config as plain python containers (safe for weights_only loading)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
