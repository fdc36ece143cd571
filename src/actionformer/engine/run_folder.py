"""Which experiment folder a training run writes to, and when it may touch it.

Rules (docs/training.md, "Experiment folder"):
- a new run never writes into an existing, non-empty folder unless ``--overwrite`` says so;
  the old folder is then removed, but only once the new run's data and model are built, so a run
  that fails early leaves the old one intact;
- ``--resume PATH`` continues in the folder that holds the checkpoint; ``--resume auto`` and
  torchrun restarts continue in ``<output_folder>/<config>_<NAME>``;
- the folder is created only when training is about to start, and a folder this run created is
  removed again if the run fails before its first checkpoint.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from .build import experiment_dir
from .checkpoint import latest_checkpoint


class RunFolderError(ValueError):
    """A request about the experiment folder that cannot be honoured (a usage error: exit 2)."""


@dataclass
class RunFolder:
    path: Path
    resume_from: Optional[Path] = None  # checkpoint to continue from
    replace: bool = False  # --overwrite of an existing folder: remove it before writing
    continuing: bool = False  # --resume / a torchrun restart: the folder's files are the run's own


def check_output_name(output: str) -> None:
    """``--output`` is a folder-name suffix: a path in it could point anywhere (and --overwrite
    would remove it)."""
    if any(sep in output for sep in ("/", "\\")) or output in (".", ".."):
        raise RunFolderError(f"--output {output!r}: give a name, not a path (the folder is "
                             "<output_folder>/<config name>_<NAME>; set output_folder to choose where)")


def plan_run_folder(cfg: Mapping[str, Any], config_path: str, output: str, resume: str, overwrite: bool,
                    restarting: bool) -> RunFolder:
    """Decide the folder without touching the disk; raises :class:`RunFolderError`.

    ``restarting`` (a torchrun restart) always continues the folder of the first attempt, from its
    latest checkpoint: with ``--resume FILE`` the file's folder, with ``--overwrite`` the folder the
    first attempt started over, without ``--output`` the folder the first attempt recorded."""
    output = output or ""
    check_output_name(output)
    if overwrite and resume and not restarting:
        raise RunFolderError("--overwrite starts a run over: it cannot be combined with --resume")
    if resume and resume != "auto":
        plan = _explicit_resume(Path(resume))
        if restarting:  # the first attempt has saved newer checkpoints since
            plan.resume_from = latest_checkpoint(plan.path) or plan.resume_from
        return plan
    if restarting and not output:
        recorded = recorded_folder(cfg)
        path = recorded if recorded is not None else experiment_dir(cfg, config_path, output)
        return RunFolder(path, latest_checkpoint(path), continuing=True)
    if resume == "auto" or restarting:
        path = experiment_dir(cfg, config_path, output, resume_latest=True)
        return RunFolder(path, latest_checkpoint(path), continuing=True)
    path = experiment_dir(cfg, config_path, output)
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"experiment folder {path} is a file: choose another --output")
    if _holds_files(path) and not overwrite:
        raise RunFolderError(_taken(path))
    return RunFolder(path, replace=_holds_files(path))


def _taken(path: Path) -> str:
    return (f"experiment folder {path} already holds a run: use --resume auto to continue it, "
            "--overwrite to start over (its files are removed), or another --output")


# torchrun restarts the workers, not its agent: a record keyed by the agent's pid (the workers'
# parent) and the host names the folder the first attempt chose, so that a restart without
# --output continues exactly that folder (never another run's of the same config)
def _record_path(cfg: Mapping[str, Any]) -> Path:
    root = Path(str(cfg.get("output_folder") or "./ckpt"))
    agent = os.getppid()
    return root / f".torchrun_{socket.gethostname()}_{agent}_{_start_time(agent)}.folder"


def _start_time(pid: int) -> str:
    """The process's start time (clock ticks since boot; Linux), so that a reused pid of a later
    job never reads an earlier job's record; empty where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def recorded_folder(cfg: Mapping[str, Any]) -> Optional[Path]:
    """The folder the first attempt of this torchrun job recorded, if any."""
    record = _record_path(cfg)
    try:
        return Path(record.read_text(encoding="utf-8").strip())
    except OSError:
        return None


def record_folder(cfg: Mapping[str, Any], path: Path) -> None:
    """Under torchrun, remember the run's folder for the restarts of this job."""
    if "TORCHELASTIC_RESTART_COUNT" in os.environ:
        _record_path(cfg).write_text(str(path), encoding="utf-8")


def _explicit_resume(path: Path) -> RunFolder:
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise RunFolderError(f"--resume {path}: no checkpoint (last.pth.tar, epoch_XXX.pth.tar) in this folder")
        return RunFolder(path, found, continuing=True)
    if not path.is_file():
        raise RunFolderError(f"--resume {path}: no such checkpoint file or experiment folder")
    return RunFolder(path.parent, path, continuing=True)


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def create_run_folder(plan: RunFolder) -> bool:
    """Make the folder (removing the old one first under ``--overwrite``); True when this run
    made it (so that it may remove it again on an early failure). A new run whose folder another
    run filled since the plan was made is refused, never shared."""
    created = not plan.path.exists()
    if plan.replace and plan.path.is_dir():
        shutil.rmtree(plan.path)
        created = True
    elif not created and not plan.continuing and _holds_files(plan.path):
        raise RunFolderError(_taken(plan.path))
    plan.path.mkdir(parents=True, exist_ok=True)
    for stale in plan.path.glob(".*.tmp"):  # left by a checkpoint write that was killed
        stale.unlink(missing_ok=True)
    return created


def remove_if_no_checkpoint(plan: RunFolder, created: bool) -> bool:
    """After a failure: remove the folder this run created if it holds no checkpoint yet."""
    if created and plan.path.is_dir() and latest_checkpoint(plan.path) is None:
        shutil.rmtree(plan.path, ignore_errors=True)
        return True
    return False
