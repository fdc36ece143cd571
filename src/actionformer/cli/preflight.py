"""Checks ``train`` and ``eval`` make before they write anything or start a step.

Each problem becomes a :class:`PreflightError` whose message names the key, flag or file and
what to do, with the command's exit code: 2 for a config or flag that cannot work (a path in
``dataset.*`` that does not exist, ``--device cuda`` without a GPU, ``--amp fp16`` on the CPU,
``--accum-steps`` that does not divide the batch, an unusable checkpoint), 1 for data errors
(the ``check-data`` report, and its exit code).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch

USAGE, DATA = 2, 1  # exit codes: a config / flag / file that cannot work; the data has errors


class PreflightError(Exception):
    """A run that cannot start; ``code`` is the exit code (2 usage, 1 data)."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def resolve_run_device(cfg: Mapping[str, Any]) -> torch.device:
    """``trainer.device`` (``--device``) resolved, or a PreflightError saying what to pass instead."""
    from actionformer.engine.distributed import resolve_device

    requested = str((cfg.get("trainer") or {}).get("device", "auto"))
    if requested.lower().startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise PreflightError(f"--device {requested} (trainer.device): torch sees no CUDA GPU on this machine; "
                                 "use --device cpu, or auto (the GPU when there is one)")
        index = requested.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= count):
            raise PreflightError(f"--device {requested} (trainer.device): this machine has {count} CUDA device(s), "
                                 f"cuda:0 to cuda:{count - 1}")
    try:
        return resolve_device(requested)
    except (RuntimeError, ValueError) as exc:  # e.g. a device string torch does not know
        raise PreflightError(f"--device {requested} (trainer.device): {exc}") from exc


def check_training_flags(cfg: Mapping[str, Any], device: torch.device) -> None:
    """``--amp`` and ``--accum-steps`` against the device and ``loader.batch_size``."""
    from actionformer.engine.loaders import per_process_batch_size

    trainer = cfg.get("trainer") or {}
    if str(trainer.get("amp", "off")) == "fp16" and device.type != "cuda":
        raise PreflightError(f"--amp fp16 (trainer.amp) needs a CUDA GPU and this run is on {device}; "
                             "use --amp bf16 on the CPU, or --amp off")
    world_size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    accum = int(trainer.get("accum_steps", 1))
    batch = int((cfg.get("loader") or {}).get("batch_size", 1))
    try:
        per_process_batch_size(batch, world_size, accum)
    except ValueError as exc:
        raise PreflightError(f"--accum-steps {accum} (trainer.accum_steps): {exc}; choose --accum-steps "
                             f"among the divisors of {batch // max(world_size, 1)}, or change loader.batch_size") from exc


def _config_paths(dataset: Mapping[str, Any]) -> List[tuple]:
    """(key, path) of every file or folder ``dataset.*`` points at."""
    out = [("dataset.json_file", dataset.get("json_file"))]
    folders = dataset.get("feat_folder")
    for folder in (folders if isinstance(folders, (list, tuple)) else [folders]):
        out.append(("dataset.feat_folder", folder))
    out += [("dataset.video_list", dataset.get("video_list")), ("dataset.class_list", dataset.get("class_list")),
            ("dataset.root", dataset.get("root"))]
    return [(key, str(path)) for key, path in out if path not in (None, "")]


def check_dataset_paths(cfg: Mapping[str, Any], config_path: str) -> None:
    """A path in ``dataset.*`` that does not exist is a config error, named with its key."""
    missing = [(key, path) for key, path in _config_paths(cfg.get("dataset") or {}) if not os.path.exists(path)]
    if missing:
        lines = [f"{key}: {path} does not exist" for key, path in missing]
        key = missing[0][0]
        raise PreflightError("; ".join(lines) + f" (fix it in {config_path}, or pass --set {key}=PATH)")


def check_run_data(cfg: Mapping[str, Any], splits: Mapping[str, Sequence[str]], config_path: str) -> List[str]:
    """The ``check-data`` checks of the splits a run reads, reading only feature headers, with
    ``dataset.on_bad_video`` applied. Returns the videos to leave out (``skip``); raises a
    PreflightError (exit 1, the report) when the run cannot go on."""
    from actionformer.data.checks import check_data_from_config
    from actionformer.data.report import dedupe

    check_dataset_paths(cfg, config_path)
    report = check_data_from_config(cfg, splits, headers_only=True)
    report.config_file = config_path
    user_excluded = set((cfg.get("dataset") or {}).get("exclude_videos") or ())
    report.problems = dedupe(p for p in report.problems if p.video_id not in user_excluded)
    if report.ok:
        return []
    wrong_dim = [p for p in report.dataset_errors if p.field == "input_dim"]
    if wrong_dim:  # the config is wrong, not the data: one line, like any config error
        raise PreflightError(f"{wrong_dim[0].message} (file {wrong_dim[0].file}; config {config_path})")
    policy = (cfg.get("dataset") or {}).get("on_bad_video", "error")
    if policy != "skip" or report.dataset_errors:
        hint = ("\nFix these (actionformer check-data CONFIG lists them too), or set dataset.on_bad_video: "
                "skip to leave the bad videos out." if not report.dataset_errors else "")
        raise PreflightError(report.format() + hint, DATA)
    return _skip_bad_videos(report, splits)


def _skip_bad_videos(report: Any, splits: Mapping[str, Sequence[str]]) -> List[str]:
    bad = sorted(report.bad_video_ids)
    for split, summary in report.summary.get("splits", {}).items():
        in_split = {p.video_id for p in report.errors if p.split == split}
        if summary.get("num_videos", 0) and len(in_split) >= summary["num_videos"]:
            raise PreflightError(report.format() + f"\nEvery video of the {split} split {list(splits[split])} is bad: "
                                 "nothing would be left with dataset.on_bad_video: skip.", DATA)
    reasons = "\n  ".join(p.format() for p in report.errors[:50])
    print(f"warning: dataset.on_bad_video: skip -> leaving out {len(bad)} video(s): {', '.join(bad[:50])}"
          f"{' ...' if len(bad) > 50 else ''}\n  {reasons}", file=sys.stderr)
    return bad


def fail(exc: PreflightError) -> int:
    """Print the error the way every command does and return its exit code."""
    print(f"error: {exc}", file=sys.stderr)
    return exc.code


def explicit_resume_file(resume: str) -> Optional[Path]:
    """The checkpoint file ``--resume PATH`` names (a file, or the latest in a folder), else None."""
    from actionformer.engine.checkpoint import latest_checkpoint

    if not resume or resume == "auto":
        return None
    path = Path(resume)
    return latest_checkpoint(path) if path.is_dir() else (path if path.is_file() else None)


def check_resume_file(path: Path) -> Dict[str, Any]:
    """The state of a checkpoint ``train --resume`` can continue from: readable (weights only),
    a full training state (not weights only); else a PreflightError saying what to pass."""
    from actionformer.engine.checkpoint import load_checkpoint_file

    try:
        state = load_checkpoint_file(path)
    except (RuntimeError, FileNotFoundError) as exc:
        raise PreflightError(f"--resume {path}: {exc}; pass a last.pth.tar / epoch_XXX.pth.tar written by "
                             "actionformer train") from exc
    missing = [k for k in ("state_dict", "optimizer", "scheduler", "epoch") if k not in state]
    if missing:
        raise PreflightError(f"--resume {path}: cannot be resumed from, it has no {', '.join(missing)} (a "
                             "model_best / released checkpoint holds weights only: resume from last.pth.tar)")
    if not isinstance(state["state_dict"], dict):
        raise PreflightError(f"--resume {path}: its state_dict is a {type(state['state_dict']).__name__}, not a dict")
    return state


def check_resume_checkpoint(path: Path, model: torch.nn.Module) -> Dict[str, Any]:
    """:func:`check_resume_file`, and every parameter of ``model`` at the checkpoint's shape
    (a checkpoint of another config names its first mismatching parameter and both shapes);
    returns the loaded state."""
    from actionformer.engine.checkpoint import strip_module_prefix
    from actionformer.modeling.weights import compare_state_dicts, mismatch_report

    state = check_resume_file(path)
    lost, extra, mismatched = compare_state_dicts(model.state_dict(), strip_module_prefix(state["state_dict"]))
    if lost or extra or mismatched:
        raise PreflightError("--resume " + mismatch_report(str(path), lost, extra, mismatched))
    return state


def data_splits(cfg: Mapping[str, Any], names: Sequence[str]) -> Dict[str, List[str]]:
    """``{"train": cfg['train_split'], "val": cfg['val_split']}`` restricted to ``names``."""
    from actionformer.data.checks import default_splits

    return {name: subsets for name, subsets in default_splits(cfg).items() if name in names}
