"""Writing the dense network as ONNX or TorchScript, reading it back, and checking it against
PyTorch at two input lengths.

Both formats come from tracing (``torch.jit.trace``; ONNX through torch's TorchScript-based
exporter, whose graphs keep the time axis dynamic where torch.export's guards on the local
attention's block arithmetic specialise it). Tracing records one path through data-dependent
branches, so the example input has padding at every level: the masking path, correct for any
mask, is the one recorded. The model is built with ``model.cpu_kernels: false``: the CPU kernels
(Winograd convolutions, joined heads) are not traceable; the standard layers compute the same
function up to rounding.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch

from .dense import DenseNetwork

FORMATS = ("onnx", "torchscript")
METADATA_NAME = "actionformer.json"  # TorchScript extra file; ONNX: the sidecar FILE.json


def example_inputs(input_dim: int, length: int, valid: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random feats (1, C, length) whose first ``valid`` steps are valid, the rest padding."""
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(1, input_dim, length, generator=gen)
    masks = torch.zeros(1, 1, length, dtype=torch.bool)
    masks[..., :valid] = True
    return feats * masks, masks


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_onnx(dense: DenseNetwork, example: Tuple[torch.Tensor, torch.Tensor], path: Path, opset: int = 17) -> None:
    names = dense.output_names()
    # the time axis only: traced with one video, the graph holds batch-size constants
    axes: Dict[str, Dict[int, str]] = {"feats": {2: "time"}, "masks": {2: "time"}}
    axes.update({name: {1: f"time_{name.rsplit('_', 1)[1]}"} for name in names})

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation notices: the check below decides
            torch.onnx.export(dense, example, tmp, dynamo=False, input_names=["feats", "masks"], output_names=names,
                              dynamic_axes=axes, opset_version=opset)

    _atomic(path, write)


def save_torchscript(dense: DenseNetwork, example: Tuple[torch.Tensor, torch.Tensor], path: Path,
                     metadata: Dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(dense, example, check_trace=False)
    _atomic(path, lambda tmp: torch.jit.save(traced, tmp, _extra_files={METADATA_NAME: json.dumps(metadata)}))


def runner(path: Path, fmt: str) -> Callable[[np.ndarray, np.ndarray], List[np.ndarray]]:
    """A function running the exported file: (feats, masks) -> its outputs as arrays."""
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return lambda feats, masks: session.run(None, {"feats": feats, "masks": masks})
    module = torch.jit.load(str(path), map_location="cpu")

    def run(feats: np.ndarray, masks: np.ndarray) -> List[np.ndarray]:
        with torch.no_grad():
            return [t.numpy() for t in module(torch.from_numpy(feats), torch.from_numpy(masks))]

    return run


@torch.no_grad()
def max_difference(dense: DenseNetwork, run: Callable[[np.ndarray, np.ndarray], List[np.ndarray]],
                   inputs: Sequence[Tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Largest |exported - PyTorch| over every output and input pair (masks must match exactly)."""
    worst = 0.0
    for feats, masks in inputs:
        expected = [t.numpy() for t in dense(feats, masks)]
        found = run(feats.numpy(), masks.numpy())
        if len(found) != len(expected):
            return float("inf")
        for exp, got in zip(expected, found):
            if exp.shape != got.shape:
                return float("inf")
            if exp.dtype == bool:
                worst = max(worst, 0.0 if np.array_equal(exp, got) else float("inf"))
            else:
                worst = max(worst, float(np.abs(exp.astype(np.float64) - got.astype(np.float64)).max(initial=0.0)))
    return worst
