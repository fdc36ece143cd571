"""What the annotations say, in the units the model sees: the feature grid.

The model's regression ranges compare the distance from a point to the farther boundary of
its action (for the centre point, the action's *half-span*) with the level's range, in input
feature steps. A length of ``d`` seconds is ``d * fps / feat_stride`` steps, with each video's
own fps (or ``dataset.default_fps``); with ``force_upsampling`` every video is resized to
``max_seq_len`` steps, so a second is ``max_seq_len / duration`` steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from actionformer.data.annotations import AnnotationDB, load_annotations


@dataclasses.dataclass(frozen=True)
class GridSpec:
    """How seconds become feature steps (the dataset keys of a config)."""

    feat_stride: float = 16.0
    default_fps: Optional[float] = None
    force_upsampling: bool = False
    max_seq_len: int = 2304
    downsample_rate: int = 1

    @classmethod
    def from_config(cls, cfg: Dict[str, Any]) -> "GridSpec":
        data = cfg.get("dataset") or {}
        return cls(float(data.get("feat_stride", 16)), data.get("default_fps"),
                   bool(data.get("force_upsampling", False)), int(data.get("max_seq_len", 2304)),
                   int(data.get("downsample_rate", 1) or 1))

    def steps_per_second(self, fps: Optional[float], duration: Optional[float]) -> Optional[float]:
        if self.force_upsampling:
            return self.max_seq_len / duration if duration and duration > 0 else None
        fps = self.default_fps if self.default_fps is not None else fps
        if not fps or fps <= 0:
            return None
        return float(fps) / (self.feat_stride * self.downsample_rate)


@dataclasses.dataclass
class ActionStats:
    """Per instance and per video, training split only."""

    half_spans: np.ndarray  # (N,) half of each action's length, feature steps
    durations_s: np.ndarray  # (N,) seconds
    labels: List[str]
    video_lengths: np.ndarray  # (V,) feature steps (from the features when read, else duration)
    overlap_fraction: float  # of instances overlapping another instance of the same video
    num_videos: int
    skipped: List[str]  # videos left out, with the reason
    lengths_from_features: bool = False

    @property
    def num_instances(self) -> int:
        return int(self.half_spans.shape[0])


def load_db(annotations: Union[str, AnnotationDB], video_list: Optional[str] = None) -> AnnotationDB:
    return annotations if isinstance(annotations, AnnotationDB) else load_annotations(str(annotations), video_list)


def collect_stats(annotations: Union[str, AnnotationDB], grid: GridSpec, train_split: Optional[Sequence[str]],
                  feature_lengths: Optional[Dict[str, int]] = None) -> ActionStats:
    """Statistics of the training split's videos (``train_split``: annotation subsets, any case;
    ``None``: ``default_train_split`` of the file's subsets). A split that holds no video is an
    error naming the subsets there are."""
    db = load_db(annotations)
    subsets = [rec.subset or "" for rec in db.videos.values()]
    if train_split is None:
        train_split = default_train_split(subsets)[0]
    if db.videos and not {s.lower() for s in subsets} & {s.lower() for s in train_split}:
        raise ValueError(f"no video in training split {list(train_split)}; the subsets are "
                         f"{sorted(set(map(str, subsets)))} (choose one with train_split / --train-split)")
    wanted = {s.lower() for s in train_split}
    half_spans: List[np.ndarray] = []
    durations: List[np.ndarray] = []
    labels: List[str] = []
    lengths: List[float] = []
    skipped: List[str] = []
    overlapping = 0
    num_videos = 0
    for rec in db.videos.values():
        if (rec.subset or "").lower() not in wanted:
            continue
        per_second = grid.steps_per_second(rec.fps, rec.duration)
        if per_second is None:
            skipped.append(f"{rec.video_id}: no fps (set dataset.default_fps)" if not grid.force_upsampling
                           else f"{rec.video_id}: no duration")
            continue
        num_videos += 1
        if feature_lengths and rec.video_id in feature_lengths:
            lengths.append(feature_lengths[rec.video_id] / max(grid.downsample_rate, 1))
        elif rec.duration:
            lengths.append(rec.duration * per_second)
        segs = np.asarray(rec.segments, dtype=np.float64).reshape(-1, 2)
        spans = np.clip(segs[:, 1] - segs[:, 0], 0, None)
        durations.append(spans)
        half_spans.append(0.5 * spans * per_second)
        labels.extend(rec.labels)
        overlapping += _count_overlapping(segs)
    all_half = np.concatenate(half_spans) if half_spans else np.zeros(0)
    return ActionStats(
        half_spans=all_half,
        durations_s=np.concatenate(durations) if durations else np.zeros(0),
        labels=labels,
        video_lengths=np.asarray(lengths, dtype=np.float64),
        overlap_fraction=overlapping / max(all_half.shape[0], 1),
        num_videos=num_videos,
        skipped=skipped,
        lengths_from_features=bool(feature_lengths),
    )


def default_train_split(subsets: List[str]) -> Tuple[List[str], Optional[str]]:
    """The training split of an annotation file given without a config or --train-split: the
    'training' subset (ActivityNet, EPIC, Ego4D), else 'validation' when the other subsets are
    only test ones (THUMOS14 trains on its Validation videos and tests on Test). Returns the split
    and a note saying it was guessed (None when 'training' exists)."""
    lower = {str(s).lower() for s in subsets}
    if "training" in lower or "validation" not in lower or not lower - {"validation"} <= {"test", "testing"}:
        return ["training"], None
    return ["validation"], ("training split: 'validation' (no 'training' subset; the THUMOS14 convention: train "
                            "on Validation, test on Test); --train-split chooses another")


def _count_overlapping(segs: np.ndarray) -> int:
    """Instances that overlap (positive intersection) at least one other instance."""
    if segs.shape[0] < 2:
        return 0
    inter = np.minimum(segs[:, None, 1], segs[None, :, 1]) - np.maximum(segs[:, None, 0], segs[None, :, 0])
    np.fill_diagonal(inter, 0.0)
    return int((inter > 0).any(axis=1).sum())
