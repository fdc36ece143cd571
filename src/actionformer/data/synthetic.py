"""A synthetic THUMOS-format dataset whose actions leave learnable, not trivial, traces.

Per video, features (T x D, float32) are the sum of
- background drift: a slow random walk in a low-dimensional subspace;
- actions: classes come in pairs ("groups") that share a *body* pattern, present (with a soft
  trapezoid envelope) over the whole action; what tells the two classes of a pair apart is a
  class-specific *onset* pattern in the first steps and *offset* pattern in the last steps,
  plus a weak class-specific share of the body;
- distractors: body patterns without onset / offset (not actions), and lone onset blips;
- white noise.
A per-step linear probe sees "some action of this pair" but cannot tell the pair's classes
apart away from the boundaries, nor a distractor from an action; a temporal model that links
onset, body and offset can. The folder has the THUMOS layout (json + one .npy per video, stride
4, 16 frames, subsets "validation" for training and "test" for evaluation) and a ready-to-train
config.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from actionformer.postprocess import grid_to_seconds

from .synthetic_config import write_config


@dataclasses.dataclass
class SyntheticSpec:
    """Knobs of the generator (lengths in feature steps)."""

    num_videos: int = 100
    num_classes: int = 6
    feat_dim: int = 64
    min_len: int = 160
    max_len: int = 384
    min_action_len: int = 6
    max_action_len: int = 48
    max_actions: int = 4
    noise: float = 1.0
    signal: float = 1.0
    drift: float = 1.0
    distractor_rate: float = 1.0  # distractors per video (Poisson mean)
    val_fraction: float = 0.3
    fps: float = 30.0
    feat_stride: int = 4
    num_frames: int = 16
    seed: int = 0
    # training annotations only: each boundary moved by a uniform random fraction in
    # [-boundary_noise, boundary_noise] of its action's length (features and test videos stay
    # clean): noisy labels, clean evaluation
    boundary_noise: float = 0.0
    # chance that an action gets a companion of another class starting inside it (overlapping
    # actions, as THUMOS14 and ActivityNet have): what DIoU-NMS and per-class NMS act on
    overlap: float = 0.0


BODY_AMPLITUDE = 3.0  # shared by the two classes of a group, over the whole action
OWN_AMPLITUDE = 1.0  # class-specific share of the body: weak in one step, clear over many
MARKER_AMPLITUDE = 3.0  # onset / offset patterns, a bump of ~2 steps at each boundary
DRIFT_AMPLITUDE = 1.5


@dataclasses.dataclass
class _Patterns:
    body: np.ndarray  # (G, D) per group
    own: np.ndarray  # (K, D) per class, weak part of the body
    onset: np.ndarray  # (K, D)
    offset: np.ndarray  # (K, D)
    drift_basis: np.ndarray  # (R, D)


def _unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _patterns(spec: SyntheticSpec, rng: np.random.Generator) -> _Patterns:
    # unit-norm rows: amplitudes below are in units of the noise's std along one direction
    groups = (spec.num_classes + 1) // 2
    return _Patterns(
        body=_unit_rows(rng, groups, spec.feat_dim) * BODY_AMPLITUDE,
        own=_unit_rows(rng, spec.num_classes, spec.feat_dim) * OWN_AMPLITUDE,
        onset=_unit_rows(rng, spec.num_classes, spec.feat_dim) * MARKER_AMPLITUDE,
        offset=_unit_rows(rng, spec.num_classes, spec.feat_dim) * MARKER_AMPLITUDE,
        drift_basis=_unit_rows(rng, 4, spec.feat_dim) * DRIFT_AMPLITUDE,
    )


def _envelope(length: int, ramp: int) -> np.ndarray:
    """Trapezoid: rises over ``ramp`` steps, flat, falls over ``ramp`` steps."""
    t = np.arange(length, dtype=np.float32)
    rise = np.minimum((t + 1) / (ramp + 1), 1.0)
    fall = np.minimum((length - t) / (ramp + 1), 1.0)
    return np.minimum(rise, fall)  # (L,)


def _bump(length: int, width: float, at_end: bool) -> np.ndarray:
    t = np.arange(length, dtype=np.float32)
    centre = length - 1.5 if at_end else 0.5
    return np.exp(-0.5 * ((t - centre) / width) ** 2).astype(np.float32)  # (L,)


class _ClassDeck:
    """Deals class ids from reshuffled decks, so every class occurs and counts stay balanced."""

    def __init__(self, num_classes: int, rng: np.random.Generator) -> None:
        self.num_classes, self.rng, self.cards = num_classes, rng, []

    def draw(self) -> int:
        if not self.cards:
            self.cards = list(self.rng.permutation(self.num_classes))
        return int(self.cards.pop())


def _place_actions(spec: SyntheticSpec, length: int, rng: np.random.Generator,
                   deck: _ClassDeck) -> List[Tuple[int, int, int]]:
    """Non-overlapping (start, end, class) in feature steps, at least 2 steps from the borders."""
    count = int(rng.integers(1, spec.max_actions + 1))
    max_len = min(spec.max_action_len, max(spec.min_action_len, length // (count + 1)))
    lengths = rng.integers(spec.min_action_len, max_len + 1, size=count)
    free = length - 4 - int(lengths.sum())
    if free < 0:
        count, lengths, free = 1, lengths[:1], max(length - 4 - int(lengths[0]), 0)
    cuts = np.sort(rng.integers(0, free + 1, size=count))
    gaps = np.diff(np.concatenate([[0], cuts]))
    out, pos = [], 2
    for gap, n in zip(gaps, lengths):
        start = pos + int(gap)
        out.append((start, start + int(n), deck.draw()))
        pos = start + int(n)
    return out


def _add_overlapping(spec: SyntheticSpec, length: int, actions: List[Tuple[int, int, int]],
                     rng: np.random.Generator) -> List[Tuple[int, int, int]]:
    """``actions`` plus, for each with probability ``spec.overlap``, an action of another class
    starting between a quarter and three quarters into it (sorted by start)."""
    out = list(actions)
    for start, end, cls in actions:
        if rng.random() >= spec.overlap:
            continue
        n = end - start
        companion_start = start + max(1, int(round(n * rng.uniform(0.25, 0.75))))
        companion_len = int(rng.integers(spec.min_action_len, spec.max_action_len + 1))
        companion_end = min(companion_start + companion_len, length - 2)
        if companion_end - companion_start < 1:
            continue
        other = int(rng.integers(spec.num_classes - 1)) if spec.num_classes > 1 else 0
        other_cls = other + int(other >= cls) if spec.num_classes > 1 else cls
        out.append((companion_start, companion_end, other_cls))
    return sorted(out)


def _video_features(spec: SyntheticSpec, pat: _Patterns, length: int,
                    actions: List[Tuple[int, int, int]], rng: np.random.Generator) -> np.ndarray:
    dim, groups = spec.feat_dim, pat.body.shape[0]
    feats = rng.standard_normal((length, dim), dtype=np.float32) * spec.noise  # (T, D)
    walk = np.cumsum(rng.standard_normal((length, pat.drift_basis.shape[0])), axis=0)
    walk = (walk - walk.mean(0)) / (walk.std(0) + 1e-6)
    feats += spec.drift * (walk.astype(np.float32) @ pat.drift_basis)  # (T, R) @ (R, D)
    for start, end, cls in actions:
        n = end - start
        env = _envelope(n, ramp=max(1, n // 6))[:, None]  # (L, 1)
        body = pat.body[cls // 2] + pat.own[cls]
        feats[start:end] += spec.signal * env * body
        feats[start:end] += spec.signal * _bump(n, 1.0, False)[:, None] * pat.onset[cls]
        feats[start:end] += spec.signal * _bump(n, 1.0, True)[:, None] * pat.offset[cls]
    for _ in range(int(rng.poisson(spec.distractor_rate))):
        n = int(rng.integers(spec.min_action_len, spec.max_action_len + 1))
        start = int(rng.integers(0, max(length - n, 1)))
        seg = slice(start, min(start + n, length))
        env = _envelope(seg.stop - seg.start, ramp=max(1, n // 6))[:, None]
        feats[seg] += spec.signal * env * pat.body[int(rng.integers(groups))]
        blip = int(rng.integers(0, length))
        feats[blip] += spec.signal * 0.7 * pat.onset[int(rng.integers(spec.num_classes))]
    return feats


def class_names(num_classes: int) -> List[str]:
    return [f"Action{k:02d}" for k in range(num_classes)]


def _noisy_boundaries(actions: List[Tuple[int, int, int]], length: int, noise: float,
                      rng: np.random.Generator) -> List[Tuple[float, float]]:
    """(start, end) of every action with each boundary moved by U(-noise, noise) x its length,
    kept inside the video and at least one step long."""
    out = []
    for start, end, _ in actions:
        n = end - start
        shift_start, shift_end = rng.uniform(-noise, noise, size=2) * n
        new_start = float(np.clip(start + shift_start, 0.0, length - 1.0))
        new_end = float(np.clip(end + shift_end, new_start + 1.0, float(length)))
        out.append((new_start, new_end))
    return out


def generate_videos(spec: SyntheticSpec):
    """Yield (video_id, subset, features (T, D), json entry) for every video."""
    rng = np.random.default_rng(spec.seed)
    # its own stream: the same seed gives the same videos at every noise level
    noise_rng = np.random.default_rng([spec.seed, 1])
    overlap_rng = np.random.default_rng([spec.seed, 2])
    pat = _patterns(spec, rng)
    names = class_names(spec.num_classes)
    num_val = int(round(spec.num_videos * spec.val_fraction))
    decks = {subset: _ClassDeck(spec.num_classes, rng) for subset in ("validation", "test")}
    for i in range(spec.num_videos):
        subset = "test" if i >= spec.num_videos - num_val else "validation"
        vid = f"video_{subset}_{i:06d}"
        length = int(rng.integers(spec.min_len, spec.max_len + 1))
        actions = _place_actions(spec, length, rng, decks[subset])
        if spec.overlap > 0:
            actions = _add_overlapping(spec, length, actions, overlap_rng)
        feats = _video_features(spec, pat, length, actions, rng)
        duration = ((length - 1) * spec.feat_stride + spec.num_frames) / spec.fps
        bounds = [(float(s), float(e)) for s, e, _ in actions]
        if spec.boundary_noise > 0 and subset == "validation":
            bounds = _noisy_boundaries(actions, length, spec.boundary_noise, noise_rng)
        grid = torch.tensor(bounds, dtype=torch.float64)  # (N, 2)
        seconds = grid_to_seconds(grid, spec.fps, spec.feat_stride, spec.num_frames, duration).tolist()
        entry = {"subset": subset.capitalize(), "duration": round(duration, 2), "fps": spec.fps,
                 "annotations": [{"label": names[c], "segment": [round(s, 2), round(e, 2)], "label_id": c}
                                 for (s, e), (_, _, c) in zip(seconds, actions)]}
        yield vid, subset, feats, entry


def make_synthetic_dataset(out_dir: str, num_videos: int = 100, num_classes: int = 6, feat_dim: int = 64,
                           seed: int = 0, name: str = "synthetic", max_seq_len: int = 256,
                           config_overrides: Optional[Dict[str, Any]] = None, **knobs: Any) -> str:
    """Write ``out_dir/annotations/<name>.json``, ``out_dir/features/*.npy`` and
    ``out_dir/<name>.yaml`` (absolute paths; ``actionformer train`` works on it at once).

    ``knobs`` are the other :class:`SyntheticSpec` fields (min_len, max_len, min_action_len,
    max_action_len, max_actions, noise, signal, drift, distractor_rate, val_fraction, fps,
    boundary_noise, overlap).
    Returns the path of the config.
    """
    spec = SyntheticSpec(num_videos=num_videos, num_classes=num_classes, feat_dim=feat_dim, seed=seed, **knobs)
    _validate(spec)
    out_dir = os.path.abspath(out_dir)
    _check_out_dir(out_dir)
    feat_dir = os.path.join(out_dir, "features")
    ann_dir = os.path.join(out_dir, "annotations")
    os.makedirs(feat_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    database: Dict[str, Any] = {}
    train_classes = set()
    for vid, subset, feats, entry in generate_videos(spec):
        np.save(os.path.join(feat_dir, vid + ".npy"), feats)
        database[vid] = entry
        if subset == "validation":
            train_classes.update(a["label_id"] for a in entry["annotations"])
    if len(train_classes) < spec.num_classes:
        raise ValueError(f"synthetic dataset: only {len(train_classes)} of {spec.num_classes} classes occur in "
                         "the training videos; raise num_videos or max_actions, or lower num_classes")
    json_file = os.path.join(ann_dir, f"{name}.json")
    with open(json_file, "w", encoding="utf-8") as fid:
        json.dump({"version": "synthetic", "database": database}, fid)
    return write_config(os.path.join(out_dir, f"{name}.yaml"), spec, feat_dir, json_file, out_dir,
                        max_seq_len, config_overrides)


def _check_out_dir(out_dir: str) -> None:
    """OUT must be a folder, or a path that can become one: say so before writing anything."""
    path = out_dir
    while path and not os.path.exists(path):
        path = os.path.dirname(path) if os.path.dirname(path) != path else ""
    if path and not os.path.isdir(path):
        where = "is a file" if path == out_dir else f"is inside {path}, which is a file"
        raise ValueError(f"OUT {out_dir} {where}, not a folder: pass a folder to create (or an existing folder)")


def _validate(spec: SyntheticSpec) -> None:
    checks = [
        (spec.num_videos >= 2, "num_videos must be >= 2 (one for training, one for evaluation)"),
        (spec.num_classes >= 1, "num_classes must be >= 1"),
        (spec.feat_dim >= 1, "feat_dim must be >= 1"),
        (4 <= spec.min_len <= spec.max_len, "need 4 <= min_len <= max_len"),
        (1 <= spec.min_action_len <= spec.max_action_len, "need 1 <= min_action_len <= max_action_len"),
        (spec.min_action_len + 4 <= spec.min_len, "min_len must exceed min_action_len by at least 4 steps"),
        (spec.max_actions >= 1, "max_actions must be >= 1"),
        (0.0 < spec.val_fraction < 1.0, "val_fraction must be in (0, 1)"),
        (0.0 <= spec.boundary_noise < 0.5, "boundary_noise must be in [0, 0.5) (a fraction of the action's length)"),
        (0.0 <= spec.overlap <= 1.0, "overlap must be in [0, 1] (the chance that an action gets an overlapping one)"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(f"synthetic dataset: {message} ({spec})")
