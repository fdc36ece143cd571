"""Loading released checkpoints (``.pth.tar`` files of the original release, or ours)."""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

StateDict = Dict[str, torch.Tensor]


class CheckpointError(ValueError):
    """A file is not a usable checkpoint, or its weights do not fit the model."""


def _strip_prefix(state: StateDict, prefix: str = "module.") -> StateDict:
    if state and all(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items()}
    return state


def _pick_state_dict(obj: object, use_ema: bool, path: str) -> StateDict:
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: not a checkpoint (a {type(obj).__name__}, expected a dict)")
    order = ("state_dict_ema", "state_dict") if use_ema else ("state_dict", "state_dict_ema")
    for key in order:
        if isinstance(obj.get(key), dict):
            return obj[key]
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj  # a bare state dict
    raise CheckpointError(
        f"{path}: not a checkpoint: no 'state_dict' / 'state_dict_ema' entry (keys: {sorted(obj)[:10]})"
    )


def compare_state_dicts(expected: StateDict, found: StateDict) -> Tuple[List[str], List[str], List[str]]:
    """(missing keys, unexpected keys, 'key: expected shape vs found shape' mismatches)."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    mismatched = [
        f"{k}: model {tuple(v.shape)} vs checkpoint {tuple(found[k].shape)}"
        for k, v in expected.items()
        if k in found and tuple(v.shape) != tuple(found[k].shape)
    ]
    return missing, unexpected, mismatched


def mismatch_report(path: str, missing: List[str], unexpected: List[str], mismatched: List[str]) -> str:
    """Why a checkpoint's weights do not fit a model: the first shape mismatch (parameter and
    both shapes) first, then every missing / unexpected key and mismatch, and what to do."""
    first = f" (first: {mismatched[0]})" if mismatched else ""
    lines = [f"{path}: checkpoint does not match the model built from this config{first}; it was probably "
             "written for another config: use the config it was trained with (its experiment folder's "
             "config.yaml)"]
    hint = _head_type_hint(missing, unexpected)
    if hint:
        lines.append(f"  {hint}")
    for title, items in (("shape mismatches", mismatched), ("missing keys", missing), ("unexpected keys", unexpected)):
        if items:
            shown = items[:5] + ([f"... and {len(items) - 5} more"] if len(items) > 5 else [])
            lines.append(f"  {title} ({len(items)}): " + ", ".join(shown))
    return "\n".join(lines)


def _head_type_hint(missing: List[str], unexpected: List[str]) -> str:
    """What to set when the only difference is the heads' v1 / v2 towers (``model.head_type``):
    v2 heads add ``cls_head.proj.*`` / ``reg_head.proj.*``."""
    def proj(keys: List[str]) -> bool:
        return bool(keys) and all(k.split(".")[0] in ("cls_head", "reg_head") and ".proj." in k for k in keys)

    if proj(missing) and not unexpected:
        return "the checkpoint has v1 heads (no cls_head.proj / reg_head.proj): set model.head_type: v1"
    if proj(unexpected) and not missing:
        return "the checkpoint has v2 heads (cls_head.proj / reg_head.proj): set model.head_type: v2"
    return ""


def load_checkpoint(
    path: str | os.PathLike,
    model: Optional[nn.Module] = None,
    use_ema: bool = True,
    strict: bool = True,
    map_location: str | torch.device = "cpu",
) -> StateDict:
    """Read the weights of a checkpoint (the EMA weights when present and ``use_ema``).

    Accepts the original release's ``.pth.tar`` (a dict with ``state_dict`` / ``state_dict_ema``,
    saved with or without ``nn.DataParallel``'s ``module.`` prefix), our checkpoints, or a bare
    state dict. Loaded with ``torch.load(weights_only=True)``. With ``model``, the weights are
    loaded into it; with ``strict``, missing / unexpected keys and shape mismatches raise a
    ``CheckpointError`` that lists them. Returns the state dict.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        from actionformer.engine.checkpoint import describe_load_error

        raise CheckpointError(f"{path}: cannot be read as a checkpoint: {describe_load_error(path, exc)}") from exc
    state = _strip_prefix(_pick_state_dict(obj, use_ema, path))
    if model is not None:
        expected = model.state_dict()
        missing, unexpected, mismatched = compare_state_dicts(expected, state)
        if mismatched or (strict and (missing or unexpected)):
            raise CheckpointError(mismatch_report(path, missing, unexpected, mismatched))
        model.load_state_dict(state, strict=strict)
    return state
