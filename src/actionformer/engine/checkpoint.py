"""Checkpoints: atomic writes, keep-last-k plus best, random-generator states, safe loading.

A checkpoint is a dict of tensors and plain containers only, so it loads with
``torch.load(weights_only=True)``. The model weights sit under ``state_dict`` and the EMA
weights under ``state_dict_ema``, the keys of the original release, so released checkpoints and
ours load through the same code.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np
import torch

from actionformer.atomic_files import atomic_write

PathLike = Union[str, os.PathLike]

LAST_NAME = "last.pth.tar"
BEST_NAME = "model_best.pth.tar"
_EPOCH_RE = re.compile(r"^epoch_(\d+)\.pth\.tar$")


def epoch_file_name(epoch: int) -> str:
    return f"epoch_{epoch:03d}.pth.tar"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_torch_save(obj: Any, path: PathLike) -> Path:
    """Write ``obj`` to ``path`` so that a crash leaves either the old file or the new one.

    The bytes go to a temporary file in the same folder, are flushed and fsync'ed, then the
    temporary file is renamed over ``path`` (atomic on POSIX) and the folder is fsync'ed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, binary=True) as handle:
        torch.save(obj, handle)
    _fsync_dir(path.parent)
    return path


def describe_load_error(path: PathLike, exc: BaseException) -> str:
    """One line on why ``torch.load(weights_only=True)`` failed (torch's own messages run to a
    dozen lines), in words a user can act on."""
    text = str(exc)
    if os.path.getsize(path) == 0:
        return "the file is empty"
    if "Unsupported global" in text or "weights_only" in text.lower() and "GLOBAL" in text:
        found = re.search(r"GLOBAL ([\w.]+)", text)
        what = f" ({found.group(1)})" if found else ""
        return (f"it holds pickled Python objects{what}, which are never loaded (only tensors and plain "
                "containers are, weights_only=True); re-save it as a dict of tensors")
    if isinstance(exc, (EOFError, OSError)) or "PytorchStreamReader" in text or "zip" in text.lower():
        return f"not a complete PyTorch file (truncated or corrupted?): {type(exc).__name__}: {text.splitlines()[0] if text else ''}"
    return f"not a PyTorch checkpoint (its bytes do not unpickle: {type(exc).__name__})"


def load_checkpoint_file(path: PathLike, map_location: Any = "cpu") -> Dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; a clear error names the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(str(path), map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupted / truncated / not a torch file
        raise RuntimeError(f"cannot load checkpoint {path}: {describe_load_error(path, exc)}") from exc
    if not isinstance(state, dict):
        raise RuntimeError(f"checkpoint {path} holds a {type(state).__name__}, expected a dict")
    return state


# --------------------------------------------------------------------------- RNG states
def capture_rng_state() -> Dict[str, Any]:
    """States of python's, numpy's and torch's (CPU and every CUDA device) global generators."""
    np_state = np.random.get_state(legacy=False)
    state: Dict[str, Any] = {
        "python": random.getstate(),
        # numpy's state holds an ndarray: store it as a tensor so weights_only loading works
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": torch.from_numpy(np.asarray(np_state["state"]["key"], dtype=np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state` (tolerates a missing CUDA entry)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state({
        "bit_generator": np_state["bit_generator"],
        "state": {"key": np_state["key"].numpy().astype(np.uint32), "pos": np_state["pos"]},
        "has_gauss": np_state["has_gauss"],
        "gauss": np_state["gauss"],
    })
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = [s.cpu() for s in state["cuda"]]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


# --------------------------------------------------------------------------- folder management
def list_epoch_checkpoints(folder: PathLike) -> List[Path]:
    """``epoch_XXX.pth.tar`` files of a folder, oldest epoch first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        match = _EPOCH_RE.match(child.name)
        if match:
            found.append((int(match.group(1)), child))
    return [p for _, p in sorted(found)]


def latest_checkpoint(folder: PathLike) -> Optional[Path]:
    """The checkpoint to resume from: ``last.pth.tar`` if present, else the newest epoch file."""
    folder = Path(folder)
    if (folder / LAST_NAME).is_file():
        return folder / LAST_NAME
    epochs = list_epoch_checkpoints(folder)
    return epochs[-1] if epochs else None


def prune_epoch_checkpoints(folder: PathLike, keep_last: int) -> List[Path]:
    """Delete all but the ``keep_last`` newest epoch checkpoints (<= 0 keeps all); returns the deleted."""
    if keep_last <= 0:
        return []
    files = list_epoch_checkpoints(folder)
    doomed = files[:-keep_last]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def save_checkpoint(state: Dict[str, Any], is_best: bool, file_folder: PathLike,
                    file_name: str = "checkpoint.pth.tar") -> Path:
    """The original's ``save_checkpoint``, made atomic.

    Writes ``state`` to ``file_folder/file_name``; when ``is_best`` also writes
    ``model_best.pth.tar`` without the optimizer and scheduler states (as the original).
    """
    path = atomic_torch_save(state, Path(file_folder) / file_name)
    if is_best:
        slim = {k: v for k, v in state.items() if k not in ("optimizer", "scheduler", "scaler")}
        atomic_torch_save(slim, Path(file_folder) / BEST_NAME)
    return path


def strip_module_prefix(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Remove the ``module.`` prefix that (Distributed)DataParallel adds to every key."""
    if state_dict and all(k.startswith("module.") for k in state_dict):
        return {k[len("module."):]: v for k, v in state_dict.items()}
    return dict(state_dict)
