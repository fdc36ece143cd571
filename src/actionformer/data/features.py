"""Reading per-video feature arrays (T x C) from .npy / .npz / .pt files or one HDF5 file.

One read per video: the whole array is loaded at once, converted to float32, and nothing else
touches the disk. Several feature folders (Ego4D's SlowFast + Omnivore + EgoVLP) are read and
concatenated along channels. Every array read is checked for NaN / Inf (a cheap pass over data
already in memory), so non-finite features become a named error instead of silently wrong
scores. :meth:`FeatureSource.shapes` reads only headers, for the checks run before training.
"""

from __future__ import annotations

import os
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .report import ERROR, DataError, Problem

AUTO_EXTENSIONS = (".npy", ".npz", ".pt", ".pth")
HDF5_EXTENSIONS = (".h5", ".hdf5")


def is_hdf5_path(path: str) -> bool:
    """True for a path to one HDF5 file holding every video (the original tests '.hdf5' in it)."""
    return str(path).lower().endswith(HDF5_EXTENSIONS)


def _array_from_mapping(mapping, path: str) -> np.ndarray:
    keys = list(mapping.keys())
    if "feats" in keys:
        return np.asarray(mapping["feats"])
    if len(keys) == 1:
        return np.asarray(mapping[keys[0]])
    raise ValueError(f"{path}: expected a 'feats' entry or a single array, found keys {keys}")


def load_feature_file(path: str) -> np.ndarray:
    """Load one feature file as a float32 array, by extension (.npy, .npz, .pt/.pth)."""
    lower = path.lower()
    if lower.endswith(".npz"):
        with np.load(path) as data:
            arr = _array_from_mapping(data, path)
    elif lower.endswith((".pt", ".pth")):
        import torch

        obj = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(obj, dict):
            obj = _array_from_mapping(obj, path)
        arr = obj.numpy() if isinstance(obj, torch.Tensor) else np.asarray(obj)
    else:
        arr = np.load(path, allow_pickle=False)
    return np.asarray(arr, dtype=np.float32)


def _npz_member_shape(path: str) -> Optional[Tuple[int, ...]]:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".npy")]
        name = "feats.npy" if "feats.npy" in names else (names[0] if len(names) == 1 else None)
        if name is None:
            return None
        with zf.open(name) as fid:
            version = np.lib.format.read_magic(fid)
            if version == (1, 0):
                shape, _, _ = np.lib.format.read_array_header_1_0(fid)
            else:
                shape, _, _ = np.lib.format.read_array_header_2_0(fid)
            return tuple(shape)


def feature_file_shape(path: str) -> Tuple[int, ...]:
    """The array's shape, read from the header where the format allows (no full load)."""
    lower = path.lower()
    if lower.endswith(".npy"):
        return tuple(np.load(path, mmap_mode="r").shape)
    if lower.endswith(".npz"):
        shape = _npz_member_shape(path)
        if shape is not None:
            return shape
    return tuple(load_feature_file(path).shape)


class FeatureSource:
    """Where the features of each video live: one or more folders, or one HDF5 file.

    The file of a video is ``folder / (file_prefix + video_id + file_ext)``; in an HDF5 file the
    dataset name is ``file_prefix + video_id``. With ``file_ext`` None the first existing of
    .npy, .npz, .pt, .pth is used.
    """

    def __init__(self, feat_folder: Union[str, Sequence[str]], file_prefix: Optional[str] = None,
                 file_ext: Optional[str] = None) -> None:
        folders = [feat_folder] if isinstance(feat_folder, (str, os.PathLike)) else list(feat_folder)
        if not folders:
            raise DataError([Problem(ERROR, "feat_folder", "no feature folder given")])
        self.folders: List[str] = [str(f) for f in folders]
        self.file_prefix = file_prefix or ""
        self.file_ext = file_ext
        self.use_hdf5 = len(self.folders) == 1 and is_hdf5_path(self.folders[0])
        self._h5_handles: Dict[int, object] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_h5_handles"] = {}  # open handles never cross a process boundary
        return state

    # -- locating -----------------------------------------------------------------------------
    def missing_roots(self) -> List[str]:
        """Feature folders (or the HDF5 file) that do not exist (or are not HDF5)."""
        if self.use_hdf5:
            import h5py

            path = self.folders[0]
            return [] if os.path.isfile(path) and h5py.is_hdf5(path) else [path]
        return [f for f in self.folders if not os.path.isdir(f)]

    def _path_in(self, folder: str, video_id: str) -> str:
        stem = os.path.join(folder, self.file_prefix + video_id)
        if self.file_ext is not None:
            return stem + self.file_ext
        for ext in AUTO_EXTENSIONS:
            if os.path.exists(stem + ext):
                return stem + ext
        return stem + AUTO_EXTENSIONS[0]

    def paths(self, video_id: str) -> List[str]:
        """Feature files of a video (for HDF5: 'file.h5:key')."""
        if self.use_hdf5:
            return [f"{self.folders[0]}:{self.file_prefix + video_id}"]
        return [self._path_in(folder, video_id) for folder in self.folders]

    def missing_files(self, video_id: str) -> List[str]:
        """The video's feature files that do not exist (empty when all are there)."""
        if self.use_hdf5:
            key = self.file_prefix + video_id
            return [] if key in self._h5() else [f"{self.folders[0]}:{key}"]
        return [p for p in self.paths(video_id) if not os.path.isfile(p)]

    # -- reading ------------------------------------------------------------------------------
    def _h5(self):
        import h5py

        pid = os.getpid()
        handle = self._h5_handles.get(pid)
        if handle is None:
            handle = h5py.File(self.folders[0], "r")
            self._h5_handles = {pid: handle}
        return handle

    def read_parts(self, video_id: str) -> List[np.ndarray]:
        """The video's arrays, one per folder, each float32 as stored (T x C expected)."""
        if self.use_hdf5:
            key = self.file_prefix + video_id
            return [np.asarray(self._h5()[key][()], dtype=np.float32)]
        return [load_feature_file(p) for p in self.paths(video_id)]

    def read(self, video_id: str) -> np.ndarray:
        """The video's (T, C) float32 features; several folders are concatenated on channels.

        Lengths that differ by one step (extractors round the last window differently) are cut
        to the shortest; larger differences are an error naming each file and its length. NaN or
        Inf values are a :class:`DataError` naming the file, the video and the first bad step.
        """
        try:
            parts = self.read_parts(video_id)
        except DataError:
            raise
        except Exception as exc:  # unreadable file: name the file and the video
            raise DataError([Problem(ERROR, "features", f"cannot read: {exc}", video_id,
                                     ", ".join(self.paths(video_id)))]) from exc
        paths = self.paths(video_id)
        parts = [_as_2d(p, video_id, path) for p, path in zip(parts, paths)]
        for part, path in zip(parts, paths):
            check_finite(part, video_id, path)
        if len(parts) == 1:
            return parts[0]
        return concat_aligned(parts, video_id, paths)

    def shapes(self, video_id: str) -> List[Tuple[int, ...]]:
        """The shape of each of the video's arrays, from the file headers where the format allows
        (.npy: memory-mapped, which also finds a truncated file; .npz: the member's header; HDF5:
        the dataset's shape); .pt files are loaded whole. Unreadable files raise a DataError."""
        try:
            if self.use_hdf5:
                return [tuple(self._h5()[self.file_prefix + video_id].shape)]
            return [feature_file_shape(p) for p in self.paths(video_id)]
        except Exception as exc:
            why = ("the file is truncated (shorter than its header says)" if "mmap length" in str(exc)
                   else f"cannot read: {exc}")
            raise DataError([Problem(ERROR, "features", why, video_id, ", ".join(self.paths(video_id)))]) from exc

    def close(self) -> None:
        for handle in self._h5_handles.values():
            handle.close()
        self._h5_handles = {}


def non_finite_problem(arr: np.ndarray, video_id: str, path: Optional[str]) -> Optional[Problem]:
    """The problem of an array holding NaN or Inf (counts and the first bad step), else None."""
    finite = np.isfinite(arr)
    if finite.all():
        return None
    n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
    first = int(np.argwhere(~finite)[0][0])
    return Problem(ERROR, "feature values", f"{n_nan} NaN and {n_inf} Inf values (first at step {first})",
                   video_id, path)


def check_finite(arr: np.ndarray, video_id: str, path: str) -> None:
    """Raise a DataError naming the file and the video when ``arr`` holds NaN or Inf: a model fed
    NaN gives NaN scores, which would quietly lower the mAP instead of failing."""
    problem = non_finite_problem(arr, video_id, path)
    if problem is not None:
        raise DataError([problem])


def _as_2d(arr: np.ndarray, video_id: str, path: str) -> np.ndarray:
    if arr.ndim != 2:
        raise DataError([Problem(ERROR, "features", f"expected a 2-D (T x C) array, got shape {arr.shape}",
                                 video_id, path)])
    return arr


def concat_aligned(parts: Sequence[np.ndarray], video_id: str, paths: Sequence[str]) -> np.ndarray:
    """Concatenate (T_i, C_i) arrays on channels, cutting lengths that differ by one step."""
    lengths = [p.shape[0] for p in parts]
    shortest = min(lengths)
    if max(lengths) - shortest > 1:
        detail = ", ".join(f"{path}: {n}" for path, n in zip(paths, lengths))
        raise DataError([Problem(ERROR, "features", f"feature lengths differ by more than one step ({detail})",
                                 video_id, ", ".join(paths))])
    return np.concatenate([p[:shortest] for p in parts], axis=1)  # (T, sum C_i)
