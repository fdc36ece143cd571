"""Fuse class-agnostic detections with an external video-level classifier (ActivityNet).

The original release trains a class-agnostic detector on ActivityNet 1.3 and labels its
segments with a separate video classifier (the CUHK scores, ``test_cfg.ext_score_file``):
each video's top ``topk`` classes are assigned to every one of its top ``num_pred``
segments, with score ``sqrt(class_score * segment_score)``. Same defaults (200, 2) and the
same arithmetic (float64) as the original's ``postprocess_results``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np
import torch

PathLike = Union[str, "os.PathLike[str]"]
FLAT_KEYS = ("video-id", "t-start", "t-end", "label", "score")


class ExternalScores:
    """Video id -> class scores, read from a JSON file (``{"results": {vid: [...]}}`` or ``{vid: [...]}``)."""

    def __init__(self, scores: Mapping[str, Any], source: str) -> None:
        self.scores = scores
        self.source = source

    def __contains__(self, video_id: str) -> bool:
        return self._key(video_id) is not None

    def _key(self, video_id: str) -> Union[str, None]:
        # ActivityNet ids appear both with and without the "v_" prefix in the wild
        candidates = [video_id, "v_" + video_id]
        if video_id.startswith("v_"):
            candidates.append(video_id[2:])
        return next((key for key in candidates if key in self.scores), None)

    def get(self, video_id: str) -> np.ndarray:
        """(num_classes,) float64 scores of one video; KeyError naming the file and video."""
        key = self._key(video_id)
        if key is None:
            raise KeyError(
                f"external score file {self.source} has no scores for video {video_id!r} "
                f"({len(self.scores)} videos in the file)"
            )
        try:
            values = np.asarray(self.scores[key], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"external score file {self.source}: scores of video {video_id!r} are not a "
                "list of numbers"
            ) from exc
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"external score file {self.source}: scores of video {video_id!r} must be a "
                f"non-empty list of numbers, got shape {values.shape}"
            )
        return values


def load_external_scores(path: PathLike) -> ExternalScores:
    """Read a video-level class score file (JSON, optionally wrapped in ``"results"``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"external score file not found: {path}")
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"external score file {path} is not valid JSON ({exc}); only JSON score files "
            "are supported (the original also read pickles: convert them with json.dump)"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        data = data["results"]
    if not isinstance(data, dict):
        raise ValueError(
            f"external score file {path} must hold an object mapping video ids to class "
            f"scores (optionally under 'results'), got {type(data).__name__}"
        )
    return ExternalScores(data, path)


def _descending(values: np.ndarray) -> np.ndarray:
    # the original's very call on the same float64 values: numpy's default sort is not stable
    # on longer rows (e.g. 200 class scores), so only the same call breaks ties the same way
    return np.argsort(values)[::-1]


def fuse_one_video(
    segments: np.ndarray,
    scores: np.ndarray,
    class_scores: np.ndarray,
    num_pred: int = 200,
    topk: int = 2,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label one video's class-agnostic segments with its top-k external classes.

    Args:
        segments: (N, 2) segments (seconds); scores: (N,) their scores.
        class_scores: (C,) the video's external class scores.
        num_pred: keep the top num_pred segments by score; topk: classes per segment.

    Returns:
        segments (k*n, 2), scores (k*n,) = sqrt(class score * segment score), labels (k*n,),
        class-major (all segments with the best class first), float64 / int64.
    """
    order = _descending(scores)[:num_pred]
    segments, scores = segments[order], scores[order]
    top_classes = _descending(class_scores)[:topk]
    fused_scores = np.sqrt(np.outer(class_scores[top_classes], scores)).reshape(-1)  # (k, n) -> (k*n,)
    fused_segments = np.tile(segments, (len(top_classes), 1))  # (k*n, 2)
    fused_labels = np.repeat(top_classes.astype(np.int64), len(scores))  # (k*n,)
    return fused_segments, fused_scores, fused_labels


def _as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _fuse_flat(
    results: Mapping[str, Any], scores_file: ExternalScores, num_pred: int, topk: int
) -> Dict[str, Any]:
    """The original's path: flat arrays in, flat arrays out, videos in sorted id order."""
    missing = [k for k in FLAT_KEYS if k not in results]
    if missing:
        raise KeyError(f"fuse_external_scores: results lack the keys {missing}")
    video_ids = list(results["video-id"])
    starts, ends, scores = (_as_numpy(results[k]).reshape(-1) for k in ("t-start", "t-end", "score"))
    lengths = {"video-id": len(video_ids), "t-start": len(starts), "t-end": len(ends), "score": len(scores)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"fuse_external_scores: results columns differ in length: {lengths}")
    segments = np.stack([starts, ends], axis=1)  # (N, 2)
    rows_per_video: Dict[str, List[int]] = {}
    for row, vid in enumerate(video_ids):  # one pass; rows stay in their given order
        rows_per_video.setdefault(vid, []).append(row)
    out: Dict[str, List[Any]] = {k: [] for k in FLAT_KEYS}
    for vid in sorted(rows_per_video):
        rows = np.asarray(rows_per_video[vid], dtype=np.int64)
        segs, fused, labels = fuse_one_video(
            segments[rows], scores[rows], scores_file.get(vid), num_pred, topk
        )
        out["video-id"].extend([vid] * len(fused))
        out["t-start"].append(segs[:, 0])
        out["t-end"].append(segs[:, 1])
        out["label"].append(labels)
        out["score"].append(fused)
    flat: Dict[str, Any] = {"video-id": out["video-id"]}
    for key, dtype in (("t-start", np.float64), ("t-end", np.float64),
                       ("label", np.int64), ("score", np.float64)):
        flat[key] = np.concatenate(out[key]) if out[key] else np.zeros(0, dtype=dtype)
    return flat


def _fuse_per_video(
    results: Sequence[Mapping[str, Any]], scores_file: ExternalScores, num_pred: int, topk: int
) -> List[Dict[str, Any]]:
    fused_results = []
    for result in results:
        vid = result["video_id"]
        segments = _as_numpy(result["segments"]).reshape(-1, 2)
        scores = _as_numpy(result["scores"]).reshape(-1)
        if segments.shape[0] != scores.shape[0]:
            raise ValueError(f"fuse_external_scores: video {vid!r} has {segments.shape[0]} segments "
                             f"but {scores.shape[0]} scores")
        if scores.size == 0:  # no detection, nothing to label (the original skips the video)
            segs, fused, labels = np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=np.int64)
        else:
            segs, fused, labels = fuse_one_video(
                segments, scores, scores_file.get(vid), num_pred, topk
            )
        fused_results.append({
            "video_id": vid,
            "segments": torch.from_numpy(segs),
            "scores": torch.from_numpy(fused),
            "labels": torch.from_numpy(labels),
        })
    return fused_results


def fuse_external_scores(
    results: Union[Sequence[Mapping[str, Any]], Mapping[str, Any]],
    ext_score_file: Union[PathLike, ExternalScores],
    num_pred: int = 200,
    topk: int = 2,
) -> Union[List[Dict[str, Any]], Dict[str, Any]]:
    """Replace class-agnostic detections by ``topk`` labelled copies, scored with external classes.

    Args:
        results: either a list of per-video dicts (video_id, segments (K, 2), scores (K,),
            labels (K,)), as ``detect`` returns, or the flat dict of the original's evaluator
            (``video-id``, ``t-start``, ``t-end``, ``label``, ``score``).
        ext_score_file: path of the JSON score file (or an already loaded ``ExternalScores``).
        num_pred: segments kept per video before fusion (highest scores first).
        topk: classes assigned to each segment.

    Returns:
        The same layout as given: per-video dicts (segments/scores float64 tensors, labels
        int64) or the flat dict (numpy arrays; videos in sorted id order, as the original).
        Videos without detections stay empty (per-video) or absent (flat).

    Raises:
        FileNotFoundError: the score file does not exist.
        KeyError: a video with detections has no scores in the file (names file and video).
    """
    if num_pred <= 0 or topk <= 0:
        raise ValueError(f"fuse_external_scores: num_pred and topk must be > 0, got {num_pred}, {topk}")
    scores_file = (
        ext_score_file if isinstance(ext_score_file, ExternalScores)
        else load_external_scores(ext_score_file)
    )
    if isinstance(results, Mapping):
        return _fuse_flat(results, scores_file, num_pred, topk)
    return _fuse_per_video(results, scores_file, num_pred, topk)
