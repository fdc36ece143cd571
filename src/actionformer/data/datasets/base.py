"""The shared dataset: annotations + features -> the original's per-video item dicts.

Every benchmark dataset (thumos, anet, epic, ego4d) and ``custom`` is a small subclass that sets
class attributes for its quirks. Problems found while building (missing feature files, bad
segments, unknown labels, ...) are handled by ``on_bad_video``: ``"error"`` raises a
:class:`DataError` listing every one, ``"skip"`` leaves the bad videos out with a warning, and
``"ignore"`` (used by the checker) keeps everything and only records them in ``self.problems``.
"""

from __future__ import annotations

import logging
import math
import random
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from actionformer.evaluation.ground_truth import remove_duplicate_annotations

from ..annotations import AnnotationDB, VideoRecord, build_label_dict, is_finite, load_annotations
from ..features import FeatureSource
from ..grid import feat_offset
from ..report import ERROR, WARNING, DataError, Problem, dedupe
from ..transforms import resize_feats, truncate_feats

logger = logging.getLogger("actionformer.data")

ON_BAD_VIDEO = ("error", "skip", "ignore")
UNKNOWN_DURATION = 1e8  # the original's stand-in when a video has no duration


class ActionDataset(Dataset):
    """A temporal action localization dataset over pre-extracted features.

    Arguments are the original release's dataset arguments (``cfg['dataset']``) plus:
    ``on_bad_video`` (``"error"`` | ``"skip"``), ``video_list`` (CSV annotations),
    ``class_list`` (one class name per line) and ``exclude_videos`` (ids to leave out, e.g. the
    bad videos ``check-data`` found).
    """

    title = "custom"  # get_attributes()['dataset_name']
    tiou_thresholds: Sequence[float] = tuple(np.linspace(0.3, 0.7, 5))
    dedupe_annotations = False  # ActivityNet: drop repeated / < 1 ms instances
    drop_outside_segments = False  # ActivityNet: in training, drop actions past the features
    single_class_allowed = True  # num_classes == 1 -> class-agnostic (every label is 0)
    fewer_classes_allowed = False  # EPIC: some nouns never occur
    require_duration = False
    extra_item_keys: Tuple[str, ...] = ()  # json fields copied into each item (ego4d: offset)

    def __init__(
        self,
        is_training: bool,
        split: Sequence[str],
        feat_folder: Any,
        json_file: str,
        feat_stride: float = 16,
        num_frames: float = 32,
        default_fps: Optional[float] = None,
        downsample_rate: int = 1,
        max_seq_len: int = 2304,
        trunc_thresh: float = 0.5,
        crop_ratio: Optional[Sequence[float]] = None,
        input_dim: Any = 2304,
        num_classes: int = 97,
        file_prefix: Optional[str] = None,
        file_ext: Optional[str] = None,
        force_upsampling: bool = False,
        on_bad_video: str = "error",
        video_list: Optional[str] = None,
        class_list: Optional[str] = None,
        exclude_videos: Optional[Iterable[str]] = None,
    ) -> None:
        if isinstance(split, str):
            split = [split]
        if on_bad_video not in ON_BAD_VIDEO:
            raise ValueError(f"dataset.on_bad_video must be one of {ON_BAD_VIDEO[:2]}, got {on_bad_video!r}")
        if crop_ratio is not None and len(crop_ratio) != 2:
            raise ValueError(f"dataset.crop_ratio must be null or [low, high], got {crop_ratio!r}")
        self.is_training = is_training
        self.split = list(split)
        self.feat_folder = feat_folder
        self.json_file = str(json_file)
        self.file_prefix = file_prefix or ""
        self.file_ext = file_ext
        self.feat_stride = feat_stride
        self.num_frames = num_frames
        self.default_fps = default_fps
        self.downsample_rate = max(int(downsample_rate or 1), 1)
        self.max_seq_len = max_seq_len
        self.trunc_thresh = trunc_thresh
        self.crop_ratio = crop_ratio
        self.input_dim = input_dim
        self.num_classes = num_classes
        self.force_upsampling = bool(force_upsampling)
        self.on_bad_video = on_bad_video
        self.video_list = video_list
        self.class_list = class_list
        self.feature_source = self.make_feature_source(feat_folder, file_prefix, file_ext)
        self.problems: List[Problem] = []
        self.skipped_videos: List[str] = []
        self.records: Dict[str, VideoRecord] = {}
        self.data_list: Tuple[Dict[str, Any], ...] = ()
        self.label_dict: Dict[str, int] = {}
        self._build(set(exclude_videos or ()))

    # -- building ---------------------------------------------------------------------------
    def make_feature_source(self, feat_folder: Any, file_prefix: Optional[str],
                            file_ext: Optional[str]) -> FeatureSource:
        """Where each video's features are (a dataset with its own file layout overrides it)."""
        return FeatureSource(feat_folder, file_prefix, file_ext)

    def _build_label_dict(self, db: AnnotationDB) -> Tuple[Dict[str, int], List[Problem]]:
        return build_label_dict(db, self.class_list)

    def load_annotation_db(self) -> AnnotationDB:
        """The annotations of every video (all subsets); a dataset with its own layout overrides it."""
        return load_annotations(self.json_file, self.video_list)

    def _build(self, exclude: set) -> None:
        db = self.load_annotation_db()
        label_dict, label_problems = self._build_label_dict(db)
        self.label_dict = label_dict
        problems = list(db.problems) + label_problems + self._check_classes(label_dict)
        problems += [Problem(ERROR, "feat_folder", "feature folder not found (or not an HDF5 file)", file=p)
                     for p in self.feature_source.missing_roots()]
        features_present = not self.feature_source.missing_roots()
        wanted = {s.lower() for s in self.split}
        entries = []
        for rec in db.videos.values():
            if rec.subset is None:
                problems.append(Problem(ERROR, "subset", "video has no subset, so it is in no split",
                                        rec.video_id, self.json_file))
                continue
            if rec.subset.lower() not in wanted or rec.video_id in exclude:
                continue
            problems += self._check_record(rec, features_present)
            self.records[rec.video_id] = rec
            entries.append(self._make_entry(rec))
        self.problems = dedupe(problems)
        self.data_list = tuple(self._apply_policy(entries))

    def _check_classes(self, label_dict: Dict[str, int]) -> List[Problem]:
        n, where = len(label_dict), self.class_list or self.json_file
        if self.num_classes == 1 and self.single_class_allowed:
            return []
        if n > self.num_classes or (n < self.num_classes and not self.fewer_classes_allowed):
            return [Problem(ERROR, "num_classes", f"the annotations name {n} classes but dataset.num_classes "
                            f"is {self.num_classes}", file=where)]
        too_big = sorted(lab for lab, i in label_dict.items() if not 0 <= i < self.num_classes)
        if too_big:
            return [Problem(ERROR, "label_id", f"label ids outside [0, {self.num_classes}) for {too_big[:5]}",
                            file=where)]
        return []

    def _video_fps(self, rec: VideoRecord) -> Optional[float]:
        return float(self.default_fps) if self.default_fps is not None else rec.fps

    def _check_record(self, rec: VideoRecord, features_present: bool) -> List[Problem]:
        vid, src = rec.video_id, self.json_file
        out: List[Problem] = []
        fps = self._video_fps(rec)
        if not is_finite(fps) or fps <= 0:
            out.append(Problem(ERROR, "fps", f"unknown or invalid fps ({rec.fps!r}); set it in the annotations "
                               "or set dataset.default_fps", vid, src))
        if rec.duration is None:
            sev = ERROR if self.require_duration else WARNING
            out.append(Problem(sev, "duration", "no duration given", vid, src))
        elif not is_finite(rec.duration) or rec.duration <= 0:
            out.append(Problem(ERROR, "duration", f"invalid duration {rec.duration!r}", vid, src))
        out += self._check_segments(rec)
        if features_present:
            out += [Problem(ERROR, "features", "feature file not found", vid, path)
                    for path in self.feature_source.missing_files(vid)]
        return out

    def _check_segments(self, rec: VideoRecord) -> List[Problem]:
        vid, src, out = rec.video_id, self.json_file, []
        duration = rec.duration if is_finite(rec.duration) else None
        is_point = rec.is_point or [False] * len(rec.labels)
        for i, ((start, end), label) in enumerate(zip(rec.segments, rec.labels)):
            seg = f"time {start}" if is_point[i] else f"segment [{start}, {end}]"
            seg += f" (instance {i})"
            if not (math.isfinite(start) and math.isfinite(end)):
                out.append(Problem(ERROR, "segment", f"{seg} is not finite", vid, src))
            elif end < start:
                out.append(Problem(ERROR, "segment", f"{seg}: end < start", vid, src))
            elif end == start and not self.dedupe_annotations and not is_point[i]:
                # a point event (action spotting); only a detection model cannot learn it
                out.append(Problem(WARNING, "segment", f"{seg}: zero length (a point event: fine for spotting "
                                   "models such as SnapFormer, never a positive for a detection model)", vid, src))
            elif start < 0 or (duration is not None and end > duration):
                out.append(Problem(WARNING, "segment", f"{seg} is outside [0, {duration}] s", vid, src))
            if label not in self.label_dict:
                out.append(Problem(ERROR, "label", f"label {label!r} (instance {i}) is not in the class list",
                                   vid, self.class_list or src))
        return out

    def _make_entry(self, rec: VideoRecord) -> Dict[str, Any]:
        """The original's ``data_list`` entry: id, fps, duration, segments (s), labels."""
        segments = rec.segments
        labels = [self.label_dict.get(lab, -1) for lab in rec.labels]
        if self.dedupe_annotations and len(labels):
            keep = remove_duplicate_annotations(segments, labels)
            segments, labels = segments[keep], [labels[i] for i in keep]
        if self.num_classes == 1 and self.single_class_allowed:
            labels = [0] * len(labels)
        entry: Dict[str, Any] = {
            "id": rec.video_id,
            "fps": self._video_fps(rec),
            "duration": rec.duration if rec.duration is not None else UNKNOWN_DURATION,
            "segments": segments.astype(np.float32) if len(labels) else None,  # (N, 2) seconds
            "labels": np.asarray(labels, dtype=np.int64) if len(labels) else None,  # (N,)
        }
        for key in self.extra_item_keys:
            entry[key] = rec.extra.get(key)
        return entry

    def _apply_policy(self, entries: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        errors = [p for p in self.problems if p.severity == ERROR]
        warns = [p for p in self.problems if p.severity == WARNING]
        if warns:
            logger.warning("%s: %d data warnings (split %s), e.g. %s", self.json_file, len(warns),
                           self.split, warns[0].format())
        if not errors or self.on_bad_video == "ignore":
            return entries
        global_errors = [p for p in errors if p.video_id is None]
        if self.on_bad_video == "error" or global_errors:
            hint = ("set dataset.on_bad_video: skip to leave bad videos out; " if not global_errors else "")
            raise DataError(errors, f"{self.json_file} (split {self.split}): {len(errors)} data problems; "
                            f"{hint}run `actionformer check-data CONFIG` for a full report")
        bad = {p.video_id for p in errors}
        self.skipped_videos = sorted(bad)
        warnings.warn(f"{self.json_file} (split {self.split}): skipping {len(bad)} videos with problems "
                      f"(dataset.on_bad_video: skip): " + "; ".join(p.format() for p in errors[:10]),
                      stacklevel=3)
        return [e for e in entries if e["id"] not in bad]

    # -- items --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data_list)

    def __getitem__(self, key) -> Dict[str, Any]:
        """``dataset[i]`` as the original; ``dataset[(i, seed)]`` draws augmentation from ``seed``."""
        if isinstance(key, tuple):
            idx, seed = key
            return self.get_item(idx, random.Random(seed))
        return self.get_item(key, None)

    def video_index(self, video_id: str) -> int:
        for i, entry in enumerate(self.data_list):
            if entry["id"] == video_id:
                return i
        raise KeyError(f"video {video_id!r} is not in this dataset (split {self.split})")

    def read_features(self, video_id: str) -> np.ndarray:
        """The video's (T, C) float32 features as stored (before downsampling / resizing)."""
        return self.feature_source.read(video_id)

    def resample(self, feats: np.ndarray, entry: Dict[str, Any]) -> Tuple[torch.Tensor, float, float]:
        """(T, C) array -> (C, T') tensor view, feat_stride, num_frames (the original's three cases)."""
        feat_stride, num_frames = self.feat_stride, self.num_frames
        if self.feat_stride > 0 and not self.force_upsampling:
            if self.downsample_rate > 1:
                feats = feats[:: self.downsample_rate, :]
                feat_stride = self.feat_stride * self.downsample_rate
        elif self.feat_stride > 0:
            # variable-length features resized to max_seq_len: one step now spans more frames
            feat_stride = float((feats.shape[0] - 1) * self.feat_stride + self.num_frames) / self.max_seq_len
            num_frames = feat_stride
        else:
            seq_len = feats.shape[0]
            if seq_len > self.max_seq_len:
                raise DataError([Problem(ERROR, "features", f"fixed-length features ({seq_len} steps) longer "
                                         f"than max_seq_len {self.max_seq_len}", entry["id"])])
            seq_len = self.max_seq_len if self.force_upsampling else seq_len
            feat_stride = entry["duration"] * entry["fps"] / seq_len
            num_frames = feat_stride
        # a transposed view; made contiguous once, after any truncation, so training copies
        # only the window it keeps
        tensor = torch.from_numpy(feats).t()  # (T, C) -> (C, T)
        if self.force_upsampling:
            tensor = resize_feats(tensor, self.max_seq_len)  # (C, max_seq_len)
        return tensor, feat_stride, num_frames

    def get_item(self, idx: int, rng: Optional[random.Random] = None) -> Optional[Dict[str, Any]]:
        """The item of video ``idx``; a file found bad only now (NaN / Inf, unreadable) raises a
        DataError, or under ``on_bad_video: skip`` is left out (see :meth:`_skip_bad_read`)."""
        entry = self.data_list[idx]
        try:
            raw = self.read_features(entry["id"])
        except DataError as exc:
            if self.on_bad_video != "skip":
                raise
            return self._skip_bad_read(idx, exc, rng)
        feats, feat_stride, num_frames = self.resample(raw, entry)
        offset = feat_offset(feat_stride, num_frames)
        segments = labels = None
        if entry["segments"] is not None:
            # seconds -> feature grid; small negative values are fine
            segments = torch.from_numpy(entry["segments"] * entry["fps"] / feat_stride - offset)  # (N, 2)
            labels = torch.from_numpy(entry["labels"])  # (N,)
            if self.is_training and self.drop_outside_segments:
                segments, labels = self._drop_outside(segments, labels, feats.shape[1] + offset)
        item = {"video_id": entry["id"], "feats": feats, "segments": segments, "labels": labels,
                "fps": entry["fps"], "duration": entry["duration"], "feat_stride": feat_stride,
                "feat_num_frames": num_frames}
        for key in self.extra_item_keys:
            item[key] = entry[key]
        if self.is_training and segments is not None:
            item = truncate_feats(item, self.max_seq_len, self.trunc_thresh, offset, self.crop_ratio, rng=rng)
        item["feats"] = item["feats"].contiguous()  # (C, T)
        return item

    def _skip_bad_read(self, idx: int, exc: DataError, rng: Optional[random.Random]) -> Optional[Dict[str, Any]]:
        """Leave out a video whose file turned out bad when read (the checks before a run read
        only headers). In training the next good video takes its place, so batches keep their
        size and every DDP rank keeps stepping together; in evaluation the item is None (the
        collator drops it and the video's ground truth is left out of the score)."""
        vid = self.data_list[idx]["id"]
        if vid not in self.skipped_videos:
            self.skipped_videos.append(vid)
            reason = "; ".join(f"{p.field}: {p.message} ({p.file})" for p in exc.problems) or str(exc)
            # logged, not warnings.warn: it reaches the run's log.txt (and stderr without logging set up)
            logger.warning("dataset.on_bad_video: skip -> leaving out video %s: %s", vid, reason)
        if not self.is_training:
            return None
        for step in range(1, len(self.data_list)):
            other = (idx + step) % len(self.data_list)
            if self.data_list[other]["id"] not in self.skipped_videos:
                return self.get_item(other, rng)
        raise DataError(exc.problems, "every video of the split was left out (dataset.on_bad_video: skip)")

    def _drop_outside(self, segments: torch.Tensor, labels: torch.Tensor, vid_len: float):
        """ActivityNet's fix for videos with missing frames: drop actions mostly past the end."""
        inside = torch.clamp(segments[:, 1], max=vid_len) - segments[:, 0]
        length = segments[:, 1] - segments[:, 0]
        ratio = torch.where(length > 0, inside / length, torch.ones_like(inside))  # a point is whole
        keep = (segments[:, 0] < vid_len) & (ratio >= self.trunc_thresh)
        return segments[keep].clamp(max=vid_len), labels[keep]

    # -- metadata -----------------------------------------------------------------------------
    def empty_label_ids(self) -> List[int]:
        return []

    def get_attributes(self) -> Dict[str, Any]:
        return {"dataset_name": self.title, "tiou_thresholds": np.asarray(self.tiou_thresholds),
                "empty_label_ids": self.empty_label_ids()}

    @property
    def video_ids(self) -> List[str]:
        return [entry["id"] for entry in self.data_list]

    def to_spotting_ground_truth(self) -> Dict[str, Any]:
        """Ground truth of this split as point events, for the spotting evaluator:
        ``{"classes": [names by label id], "videos": {video_id: {"times": (N,) float64 seconds,
        "labels": (N,) int64, "visible": (N,) bool}}}``. A segment's event time is its centre
        (a point annotation's is its time); ``visible`` is False only where the data say the
        event was not shown."""
        classes = [name for name, _ in sorted(self.label_dict.items(), key=lambda kv: kv[1])]
        videos: Dict[str, Any] = {}
        for entry in self.data_list:
            if entry["id"] in self.skipped_videos:
                continue  # left out when read: scoring its ground truth would count it as missed
            rec = self.records[entry["id"]]
            keep = [i for i, lab in enumerate(rec.labels) if lab in self.label_dict]
            segments = rec.segments[keep].reshape(-1, 2)
            visible = [True] * len(rec.labels) if rec.visible is None else list(rec.visible)
            videos[entry["id"]] = {
                "times": segments.mean(axis=1).astype(np.float64),
                "labels": np.asarray([self.label_dict[rec.labels[i]] for i in keep], dtype=np.int64),
                "visible": np.asarray([bool(visible[i]) for i in keep], dtype=bool),
            }
        return {"classes": classes, "videos": videos}

    def to_activitynet_json(self) -> Dict[str, Any]:
        """Ground truth of this split as ``{"database": {...}}`` (labels as names + label_id)."""
        database: Dict[str, Any] = {}
        for entry in self.data_list:
            if entry["id"] in self.skipped_videos:
                continue  # left out when read: scoring its ground truth would count it as missed
            rec = self.records[entry["id"]]
            acts = [{"segment": [float(s), float(e)], "label": lab, "label_id": int(self.label_dict[lab])}
                    for (s, e), lab in zip(rec.segments, rec.labels) if lab in self.label_dict]
            video: Dict[str, Any] = {"subset": rec.subset, "annotations": acts}
            if rec.duration is not None:
                video["duration"] = rec.duration
            if entry["fps"] is not None:
                video["fps"] = entry["fps"]
            database[entry["id"]] = video
        return {"database": database}
