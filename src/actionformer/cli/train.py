"""Train a model from a config file.

Single process:   actionformer train configs/thumos_i3d.yaml --output run1
Several GPUs:     torchrun --nproc_per_node=4 -m actionformer train configs/thumos_i3d.yaml --output run1
Several nodes:    torchrun --nnodes=2 --node_rank=R --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 \\
                    --nproc_per_node=8 -m actionformer train CONFIG --output run1

The experiment folder <output_folder>/<config name>_<NAME>/ receives the resolved config
(config.yaml), a text log (log.txt), TensorBoard events (logs/) and checkpoints. loader.batch_size
is the global batch of one optimizer step, split over processes and --accum-steps; the learning
rate is used as given (see docs/training.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.config.overrides import add_override_argument

    add_override_argument(parser)  # --set KEY.PATH=VALUE ... -> args.set
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: trainer.device, auto)")
    parser.add_argument("--amp", choices=["off", "fp16", "bf16"], default=None,
                        help="mixed precision (fp16: CUDA only, with a gradient scaler; bf16: CPU and CUDA)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="path to a YAML config file")
    parser.add_argument("--output", default="", help="experiment name: folder <output_folder>/<config>_<NAME> (default: time stamp)")
    parser.add_argument("--resume", default="", metavar="PATH",
                        help="checkpoint file or experiment folder to continue from, or 'auto' (latest in the experiment folder)")
    parser.add_argument("--accum-steps", type=int, default=None, help="micro-batches per optimizer step (trainer.accum_steps)")
    parser.add_argument("--eval-freq", type=int, default=None, help="validate every E epochs; 0 = after the last only")
    parser.add_argument("--ckpt-freq", type=int, default=None, help="keep an epoch checkpoint every E epochs")
    parser.add_argument("--print-freq", type=int, default=None, help="log losses every I iterations")
    parser.add_argument("--seed", type=int, default=None, help="random seed (init_rand_seed)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    add_config_arguments(parser)


def collect_overrides(args: argparse.Namespace) -> List[str]:
    """``--set`` values plus the flags that are shorthands for config keys."""
    overrides = list(getattr(args, "set", None) or [])
    flag_keys = {"amp": "trainer.amp", "device": "trainer.device", "accum_steps": "trainer.accum_steps",
                 "eval_freq": "trainer.eval_freq", "ckpt_freq": "trainer.ckpt_freq",
                 "print_freq": "trainer.print_freq", "seed": "init_rand_seed"}
    for attr, key in flag_keys.items():
        value = getattr(args, attr, None)
        if value is not None:
            overrides.append(f"{key}={value}")
    return overrides


def load_run_config(config_path: str, overrides: List[str]) -> Dict[str, Any]:
    from actionformer.config import load_config

    return load_config(config_path, overrides=overrides)


def _resume_path(args: argparse.Namespace, exp_dir: Path) -> Optional[Path]:
    from actionformer.engine.checkpoint import latest_checkpoint
    from actionformer.engine.distributed import restart_count

    if args.resume and args.resume != "auto":
        path = Path(args.resume)
        if path.is_dir():
            found = latest_checkpoint(path)
            if found is None:
                raise FileNotFoundError(f"--resume {path}: no checkpoint in this folder")
            return found
        if not path.is_file():
            raise FileNotFoundError(f"--resume {path}: no such checkpoint")
        return path
    if args.resume == "auto" or restart_count() > 0:
        return latest_checkpoint(exp_dir)  # None on a first attempt: start from scratch
    return None


def _prepare_folder(cfg: Dict[str, Any], args: argparse.Namespace) -> Path:
    import yaml

    from actionformer.engine.build import experiment_dir
    from actionformer.engine.distributed import barrier, broadcast_object, is_main_process, restart_count
    from actionformer.engine.trainer import _plain

    restarting = restart_count() > 0 or args.resume == "auto"
    exp_dir = Path(broadcast_object(str(experiment_dir(cfg, args.config, args.output, restarting))))
    if is_main_process():
        exp_dir.mkdir(parents=True, exist_ok=True)
        for stale in exp_dir.glob(".*.tmp"):  # left by a write that was killed
            stale.unlink(missing_ok=True)
        with open(exp_dir / "config.yaml", "w", encoding="utf-8") as handle:
            yaml.safe_dump(_plain(cfg), handle, sort_keys=False)
    barrier()
    return exp_dir


def _fault_injection() -> Optional[int]:
    """Testing hook for torchrun --max-restarts: the last rank dies after this epoch, once."""
    value = os.environ.get("ACTIONFORMER_TEST_FAULT_AFTER_EPOCH")
    return int(value) if value else None


def run(args: argparse.Namespace) -> int:
    from actionformer.config import ConfigurationError

    try:
        cfg = load_run_config(args.config, collect_overrides(args))
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return train_from_config(cfg, args)


def train_from_config(cfg: Dict[str, Any], args: argparse.Namespace, validate: bool = True) -> int:
    """Everything after the config is resolved (used by the demo too, with ``validate=False``).

    Device, flags, the resume checkpoint and the data of every split the run reads are checked
    first (see cli/preflight.py), so a run that cannot work stops before writing anything."""
    from actionformer.data import import_custom_modules
    from actionformer.engine.distributed import cleanup_distributed, init_distributed

    from . import preflight

    try:
        import_custom_modules(cfg)
        device = preflight.resolve_run_device(cfg)
        preflight.check_training_flags(cfg, device)
        resume_file = preflight.explicit_resume_file(getattr(args, "resume", ""))
        if resume_file is not None:
            preflight.check_resume_file(resume_file)
        splits = preflight.data_splits(cfg, ["train", "val"] if validate else ["train"])
        excluded = preflight.check_run_data(cfg, splits, str(args.config))
    except preflight.PreflightError as exc:
        return preflight.fail(exc)
    init_distributed(device)
    try:
        return _train(cfg, args, device, validate, excluded)
    finally:
        cleanup_distributed()


def _train(cfg: Dict[str, Any], args: argparse.Namespace, device: Any, validate: bool = True,
           excluded: Sequence[str] = ()) -> int:
    from actionformer.data import DataError, import_custom_modules
    from actionformer.engine import Trainer, TrainOptions, fix_random_seed
    from actionformer.engine.build import build_dataset, build_evaluator, build_model, fuse_scores_fn
    from actionformer.engine.distributed import get_world_size, is_main_process
    from actionformer.engine.logging import close_logger, make_tb_writer, setup_logger

    from .preflight import PreflightError, check_resume_checkpoint

    import_custom_modules(cfg)
    exp_dir = _prepare_folder(cfg, args)
    logger = setup_logger(exp_dir / "log.txt", is_main_process())
    writer = make_tb_writer(exp_dir / "logs", is_main_process())
    try:
        logger.info("Experiment folder: %s (%d process%s, device %s)", exp_dir, get_world_size(),
                    "es" if get_world_size() > 1 else "", device)
        if len(cfg.get("devices") or []) > 1:
            logger.warning("config 'devices' lists %d devices: ignored; launch with torchrun --nproc_per_node=N",
                           len(cfg["devices"]))
        generator_seed = int(cfg["init_rand_seed"])
        fix_random_seed(generator_seed, include_cuda=True)
        if excluded:
            logger.warning("dataset.on_bad_video: skip -> left out %d video(s): %s", len(excluded), ", ".join(excluded))
        try:
            train_set = build_dataset(cfg, True, cfg["train_split"], excluded)
            val_set = build_dataset(cfg, False, cfg["val_split"], excluded) if validate and cfg.get("val_split") else None
        except DataError as exc:
            logger.error("%s", exc)
            return 1
        model = build_model(cfg, train_set.get_attributes().get("empty_label_ids", []))
        evaluator = build_evaluator(cfg, val_set, cfg["val_split"]) if val_set is not None else None
        options = TrainOptions.from_config(cfg, show_progress=not getattr(args, "no_progress", False),
                                           fault_after_epoch=_fault_injection())
        trainer = Trainer(cfg, model, train_set, exp_dir, device=device, options=options, val_dataset=val_set,
                          evaluator=evaluator, tb_writer=writer, fuse_scores=fuse_scores_fn(cfg))
        resume = _resume_path(args, exp_dir)
        if resume is not None:
            try:
                check_resume_checkpoint(resume, trainer.bare_model)
            except PreflightError as exc:
                logger.error("error: %s", exc)
                return exc.code
            trainer.resume(resume)
        logger.info("Training %s for %d epochs, %d iterations per epoch, global batch %d",
                    cfg["model_name"], options.max_epochs, trainer.iters_per_epoch, cfg["loader"]["batch_size"])
        try:
            state = trainer.fit()
        except DataError as exc:  # a file found bad only when read (NaN / Inf), on_bad_video: error
            logger.error("error: %s\nFix the file (actionformer check-data CONFIG reads every value), or set "
                         "dataset.on_bad_video: skip; finished epochs are checkpointed in %s", exc, exp_dir)
            return 1
        if state.best_epoch >= 0:
            logger.info("Best average mAP %.2f (%%) at epoch %d; checkpoints in %s",
                        state.best_map, state.best_epoch + 1, exp_dir)
        logger.info("All done!")
        return 0
    finally:
        writer.close()
        close_logger(logger)
