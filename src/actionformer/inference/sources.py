"""Feature files given on the command line (or to ``Detector.run``): which videos they hold, how
long each is (from headers, to batch videos of similar length before reading them), and reading
one with the checks that name the file: unreadable, empty, not 2-D, wrong channel count, NaN/Inf.

A path is a feature file (.npy, .npz, .pt, .pth: one video, its id the file name without the
extension), an HDF5 file (.h5, .hdf5: one video per dataset, its id the key), or a folder of
those (not recursive). The readers are ``actionformer.data.features``'s, as in training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from actionformer.data.features import (
    AUTO_EXTENSIONS, feature_file_shape, is_hdf5_path, load_feature_file, non_finite_problem,
)

from .errors import DATA, USAGE, InferenceError


@dataclass(frozen=True)
class FeatureInput:
    """One video to read: its id, the file, and for HDF5 the dataset key."""

    video_id: str
    path: str
    key: Optional[str] = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.key}" if self.key is not None else self.path


def _video_id(path: str) -> str:
    name = os.path.basename(path)
    for ext in AUTO_EXTENSIONS:
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _hdf5_inputs(path: str) -> List[FeatureInput]:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            keys = [k for k in handle.keys() if isinstance(handle[k], h5py.Dataset)]
            groups = [k for k in handle.keys() if k not in keys]
    except OSError as exc:
        raise InferenceError(f"{path}: cannot be read as an HDF5 file: {exc}", DATA) from exc
    if not keys:  # a silent 'no videos' would write an empty result file
        inside = f" (it holds only groups: {', '.join(sorted(groups)[:5])}{', ...' if len(groups) > 5 else ''})" \
            if groups else " (it is empty)"
        raise InferenceError(f"{path}: no video in this HDF5 file{inside}; the layout is one 2-D (time x channels) "
                             "dataset per video at the top level, its key the video id", DATA)
    return [FeatureInput(key, path, key) for key in sorted(keys)]


def list_inputs(paths: Sequence[str]) -> List[FeatureInput]:
    """Every video the paths hold, in order; a missing path, a folder with no feature file, or
    two videos with the same id are errors (exit code 2)."""
    found: List[FeatureInput] = []
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            names = sorted(os.listdir(path))
            inside = [os.path.join(path, n) for n in names if n.lower().endswith(AUTO_EXTENSIONS + (".h5", ".hdf5"))]
            if not inside:
                raise InferenceError(f"{path}: no feature file in this folder (looked for "
                                     f"{', '.join(AUTO_EXTENSIONS)}, .h5, .hdf5)", USAGE)
            found += list_inputs(inside)
        elif not os.path.isfile(path):
            raise InferenceError(f"{path}: no such file or folder", USAGE)
        elif is_hdf5_path(path):
            found += _hdf5_inputs(path)
        elif path.lower().endswith(AUTO_EXTENSIONS):
            found.append(FeatureInput(_video_id(path), path))
        else:
            raise InferenceError(f"{path}: not a feature file (expected {', '.join(AUTO_EXTENSIONS)}, .h5, .hdf5 "
                                 "or a folder of them)", USAGE)
    seen = {}
    for item in found:
        if item.video_id in seen:
            raise InferenceError(f"video id {item.video_id!r} is given twice ({seen[item.video_id]} and "
                                 f"{item.where}); rename one of the files", USAGE)
        seen[item.video_id] = item.where
    return found


def input_length(item: FeatureInput) -> int:
    """The number of steps of a video, from the header where the format allows (0 if unknown:
    such a video is read in any batch)."""
    try:
        if item.key is not None:
            import h5py

            with h5py.File(item.path, "r") as handle:
                shape: Tuple[int, ...] = tuple(handle[item.key].shape)
        else:
            shape = feature_file_shape(item.path)
    except Exception:  # unreadable: read_features names the problem
        return 0
    return int(shape[0]) if shape else 0


def read_features(item: FeatureInput, input_dim: int) -> np.ndarray:
    """The (T, C) float32 features of one video, checked; every problem names the file."""
    try:
        if item.key is not None:
            import h5py

            with h5py.File(item.path, "r") as handle:
                arr = np.asarray(handle[item.key][()], dtype=np.float32)
        else:
            if os.path.getsize(item.path) == 0:
                raise InferenceError(f"{item.where}: the file is empty (0 bytes)", DATA)
            arr = load_feature_file(item.path)
    except InferenceError:
        raise
    except Exception as exc:  # each format fails in its own way: name the file and why
        raise InferenceError(f"{item.where}: cannot read features: {type(exc).__name__}: {exc}", DATA) from exc
    check_features(arr, input_dim, item.video_id, item.where)
    return arr


def check_features(arr: np.ndarray, input_dim: int, video_id: str, where: str) -> None:
    """A (T, C) array a model with ``input_dim`` channels can take: 2-D, not empty, C ==
    input_dim, every value finite. ``where`` names the file (or the argument)."""
    if arr.ndim != 2:
        raise InferenceError(f"{where}: expected a 2-D (time x channels) array, got shape {arr.shape}", DATA)
    steps, channels = arr.shape
    if steps == 0:
        raise InferenceError(f"{where}: the features are empty (0 time steps)", DATA)
    if channels != input_dim:
        hint = (" (the array looks transposed: it has the model's channel count first; the files' layout "
                "is time x channels)" if steps == input_dim else "")
        raise InferenceError(f"{where}: features have {channels} channels but the model expects {input_dim} "
                             f"(model.input_dim / dataset.input_dim of the config){hint}", DATA)
    problem = non_finite_problem(arr, video_id, where)
    if problem is not None:
        raise InferenceError(f"{where}: {problem.field}: {problem.message}; the model would give NaN scores. "
                             "Fix the feature extraction for this video", DATA)
