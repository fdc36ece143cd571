"""Train a model from a config file.

Single process:   actionformer train configs/thumos_i3d.yaml --output run1
Several GPUs:     torchrun --nproc_per_node=4 -m actionformer train configs/thumos_i3d.yaml --output run1
Several nodes:    torchrun --nnodes=2 --node_rank=R --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 \\
                    --nproc_per_node=8 -m actionformer train CONFIG --output run1

The experiment folder <output_folder>/<config name>_<NAME>/ receives the resolved config
(config.yaml), a text log (log.txt), TensorBoard events (logs/) and checkpoints. An existing
folder is never written over: continue it with --resume auto (or --resume FOLDER), or start it
over with --overwrite. loader.batch_size
is the global batch of one optimizer step, split over processes and --accum-steps; the learning
rate is used as given (see docs/training.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict, List, Optional, Sequence


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.config.overrides import add_override_argument

    add_override_argument(parser)  # --set KEY.PATH=VALUE ... -> args.set
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: trainer.device, auto)")
    parser.add_argument("--amp", choices=["off", "fp16", "bf16"], default=None,
                        help="mixed precision (fp16: CUDA only, with a gradient scaler; bf16: CPU and CUDA)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads of torch (default: $OMP_NUM_THREADS if set, else the CPUs this process may "
                             "use divided among torchrun's local processes); on a shared machine use fewer")


def apply_threads(args: argparse.Namespace) -> Optional[str]:
    """Set torch's thread count from --threads / the default; an error message for a bad value."""
    from actionformer.threads import configure_threads

    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        return f"--threads {threads}: must be at least 1 (e.g. --threads 1 on a busy machine)"
    configure_threads(threads)
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="path to a YAML config file")
    parser.add_argument("--output", default="", help="experiment name: folder <output_folder>/<config>_<NAME> (default: time stamp)")
    parser.add_argument("--resume", default="", metavar="PATH",
                        help="checkpoint file or experiment folder to continue from, in that folder; "
                             "'auto': the latest checkpoint of <output_folder>/<config>_<NAME>, if any")
    parser.add_argument("--overwrite", action="store_true",
                        help="start over in an existing experiment folder: its files are removed (once data and model are built)")
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


def _plan_folder(cfg: Dict[str, Any], args: argparse.Namespace) -> Any:
    """Rank 0 decides the experiment folder (nothing is written yet); every rank gets the plan or
    the error, so that all of them stop together."""
    from actionformer.engine.distributed import broadcast_object, is_main_process, restart_count
    from actionformer.engine.run_folder import RunFolderError, plan_run_folder

    plan, error = None, None
    if is_main_process():
        try:
            plan = plan_run_folder(cfg, args.config, getattr(args, "output", ""), getattr(args, "resume", ""),
                                   bool(getattr(args, "overwrite", False)), restart_count() > 0)
        except RunFolderError as exc:
            error = str(exc)
    plan, error = broadcast_object((plan, error))
    if error is not None:
        raise RunFolderError(error)
    return plan


def _write_config(cfg: Dict[str, Any], plan: Any) -> None:
    """The resolved config; a run continued from a checkpoint keeps the one its folder has."""
    import yaml

    from actionformer.engine.trainer import _plain

    target = plan.path / "config.yaml"
    if plan.resume_from is not None and target.is_file():
        return
    with open(target, "w", encoding="utf-8") as handle:
        yaml.safe_dump(_plain(cfg), handle, sort_keys=False)


def _open_folder(cfg: Dict[str, Any], plan: Any) -> bool:
    """Create the folder and write the config on rank 0; True when this run created it. Every
    rank gets rank 0's outcome, so that all of them stop together on an error."""
    from actionformer.engine.distributed import broadcast_object, is_main_process
    from actionformer.engine.run_folder import RunFolderError, create_run_folder, record_folder

    created, error = False, None
    if is_main_process():
        try:
            created = create_run_folder(plan)
            record_folder(cfg, plan.path)
            _write_config(cfg, plan)
        except RunFolderError as exc:
            error = str(exc)
    created, error = broadcast_object((created, error))
    if error is not None:
        raise RunFolderError(error)
    return bool(created)


def _fault_injection() -> Optional[int]:
    """Testing hook for torchrun --max-restarts: the last rank dies after this epoch, once."""
    value = os.environ.get("ACTIONFORMER_TEST_FAULT_AFTER_EPOCH")
    return int(value) if value else None


def run(args: argparse.Namespace) -> int:
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # before torch is imported (by the config loader)
    from actionformer.config import ConfigurationError

    try:
        cfg = load_run_config(args.config, collect_overrides(args))
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problem = apply_threads(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
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
    from actionformer.data import DataError
    from actionformer.engine.distributed import is_main_process
    from actionformer.engine.logging import close_logger, setup_logger
    from actionformer.engine.run_folder import RunFolderError

    from actionformer.config import ConfigurationError

    from .preflight import PreflightError, fail

    logger = setup_logger(None, is_main_process())  # console only: the folder does not exist yet
    try:
        plan = _plan_folder(cfg, args)
        trainer = _build_trainer(cfg, args, plan, device, validate, excluded)
    except (RunFolderError, ConfigurationError) as exc:  # ConfigurationError: class names in test_cfg
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PreflightError as exc:
        return fail(exc)
    except DataError as exc:
        logger.error("%s", exc)
        return 1
    finally:
        close_logger(logger)
    return _run_in_folder(cfg, plan, trainer, device, excluded)


def _build_trainer(cfg: Dict[str, Any], args: argparse.Namespace, plan: Any, device: Any, validate: bool,
                   excluded: Sequence[str]) -> Any:
    """Data, model, trainer and the resumed state, all before anything is written."""
    from actionformer.engine import Trainer, TrainOptions, fix_random_seed
    from actionformer.engine.build import (
        build_dataset, build_evaluator, build_model, class_name_list, fuse_scores_fn,
    )
    from actionformer.engine.run_folder import RunFolderError

    from .preflight import check_resume_checkpoint

    fix_random_seed(int(cfg["init_rand_seed"]), include_cuda=True)
    train_set = build_dataset(cfg, True, cfg["train_split"], excluded)
    val_set = build_dataset(cfg, False, cfg["val_split"], excluded) if validate and cfg.get("val_split") else None
    model = build_model(cfg, train_set.get_attributes().get("empty_label_ids", []), class_name_list(train_set))
    evaluator = build_evaluator(cfg, val_set, cfg["val_split"]) if val_set is not None else None
    options = TrainOptions.from_config(cfg, show_progress=not getattr(args, "no_progress", False),
                                       fault_after_epoch=_fault_injection())
    trainer = Trainer(cfg, model, train_set, plan.path, device=device, options=options, val_dataset=val_set,
                      evaluator=evaluator, fuse_scores=fuse_scores_fn(cfg))
    if plan.resume_from is not None:
        # a named error for another config's checkpoint; the state it loaded is the one resumed
        state = check_resume_checkpoint(plan.resume_from, trainer.bare_model)
        try:
            trainer.resume(plan.resume_from, state)
        except (ValueError, RuntimeError, FileNotFoundError, KeyError) as exc:
            raise RunFolderError(f"--resume: {exc}") from exc
    return trainer


def _run_in_folder(cfg: Dict[str, Any], plan: Any, trainer: Any, device: Any, excluded: Sequence[str]) -> int:
    from actionformer.data import DataError
    from actionformer.engine.distributed import get_world_size, is_main_process
    from actionformer.engine.logging import close_logger, make_tb_writer, setup_logger
    from actionformer.engine.run_folder import RunFolderError, remove_if_no_checkpoint

    try:
        created = _open_folder(cfg, plan)
    except RunFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logger = setup_logger(plan.path / "log.txt", is_main_process())
    trainer.tb_writer = writer = make_tb_writer(plan.path / "logs", is_main_process())
    code = 0
    try:
        logger.info("Experiment folder: %s (%d process%s, device %s)%s", plan.path, get_world_size(),
                    "es" if get_world_size() > 1 else "", device,
                    f"; resumed from {plan.resume_from} (epoch {trainer.state.start_epoch} done)"
                    if plan.resume_from else "")
        if len(cfg.get("devices") or []) > 1:
            logger.warning("config 'devices' lists %d devices: ignored; launch with torchrun --nproc_per_node=N",
                           len(cfg["devices"]))
        if excluded:
            logger.warning("dataset.on_bad_video: skip -> left out %d video(s): %s", len(excluded), ", ".join(excluded))
        logger.info("Training %s for %d epochs, %d iterations per epoch, global batch %d", cfg["model_name"],
                    trainer.options.max_epochs, trainer.iters_per_epoch, cfg["loader"]["batch_size"])
        try:
            state = trainer.fit()
        except DataError as exc:  # a file found bad only when read (NaN / Inf), on_bad_video: error
            logger.error("error: %s\nFix the file (actionformer check-data CONFIG reads every value), or set "
                         "dataset.on_bad_video: skip; finished epochs are checkpointed in %s", exc, plan.path)
            code = 1
    except BaseException:
        writer.close()
        if is_main_process() and remove_if_no_checkpoint(plan, created):
            logger.error("training failed before its first checkpoint: removed %s", plan.path)
        close_logger(logger)
        raise
    writer.close()  # before the folder may be removed: its event files are written asynchronously
    if code == 0:
        if state.best_epoch >= 0:
            logger.info("Best average mAP %.2f (%%) at epoch %d; checkpoints in %s",
                        state.best_map, state.best_epoch + 1, plan.path)
        logger.info("All done!")
    elif is_main_process() and remove_if_no_checkpoint(plan, created):
        logger.error("training failed before its first checkpoint: removed %s", plan.path)
    close_logger(logger)
    return code
