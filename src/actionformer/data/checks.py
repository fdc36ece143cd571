"""``check-data``: read everything a config points at and report every problem, per video.

The same checks run before training (:func:`enforce_data_policy`): with
``dataset.on_bad_video: error`` training stops with the report; with ``skip`` the bad videos are
left out (``exclude_videos``) with a warning.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .builders import DATASETS, import_custom_modules, make_dataset
from .features import non_finite_problem
from .report import ERROR, WARNING, DataError, DataReport, Problem, dedupe

SplitMap = Mapping[str, Sequence[str]]


class DataCheckError(DataError):
    """Raised before training when the data has errors and ``on_bad_video`` is ``error``."""

    def __init__(self, report: DataReport) -> None:
        self.report = report
        self.problems = report.errors
        ValueError.__init__(self, report.format() + "\nFix these, or set dataset.on_bad_video: skip "
                            "to train without the bad videos.")


def _stats(values: Sequence[float]) -> Optional[Dict[str, float]]:
    if not len(values):
        return None
    arr = np.asarray(values, dtype=np.float64)
    return {"min": float(arr.min()), "mean": float(arr.mean()), "max": float(arr.max()),
            "median": float(np.median(arr))}


def _expected_dim(input_dim: Any) -> Optional[int]:
    if isinstance(input_dim, (list, tuple)):
        return int(sum(input_dim))
    return int(input_dim) if input_dim is not None else None


def check_feature_shape(shape: Sequence[int], video_id: str, file: Optional[str], input_dim: Any,
                        downsample_rate: int = 1) -> List[Problem]:
    """Problems visible from a (T, C) shape alone: dim != input_dim, fewer than one feature."""
    out: List[Problem] = []
    expected = _expected_dim(input_dim)
    length, dim = int(shape[0]), int(shape[1])
    if expected is not None and dim != expected:
        hint = " (the array looks transposed: features must be T x C)" if length == expected else ""
        out.append(Problem(ERROR, "feature dim", f"{dim} != input_dim {expected}{hint}", video_id, file))
    if length < 1 or (length + downsample_rate - 1) // downsample_rate < 1:
        out.append(Problem(ERROR, "feature length", f"sequence shorter than one feature ({length} steps)",
                           video_id, file))
    return out


def check_feature_array(feats: np.ndarray, video_id: str, file: Optional[str], input_dim: Any,
                        downsample_rate: int = 1) -> List[Problem]:
    """Problems of one (T, C) feature array: dim, emptiness, NaN / Inf."""
    out = check_feature_shape(feats.shape, video_id, file, input_dim, downsample_rate)
    problem = non_finite_problem(feats, video_id, file)
    return out + ([problem] if problem is not None else [])


def _header_shape(ds, vid: str, paths: List[str]) -> Tuple[int, int]:
    """(T, C) of a video from its files' headers: several folders are concatenated on channels,
    lengths within one step of each other cut to the shortest (as reading does)."""
    from .features import concat_aligned

    shapes = ds.feature_source.shapes(vid)
    for shape, path in zip(shapes, paths):
        if len(shape) != 2:
            raise DataError([Problem(ERROR, "features", f"expected a 2-D (T x C) array, got shape {shape}",
                                     vid, path)])
    if len(shapes) > 1:  # the length rule of concat_aligned, on empty arrays of those lengths
        concat_aligned([np.empty((s[0], 0), np.float32) for s in shapes], vid, paths)
    return min(s[0] for s in shapes), sum(s[1] for s in shapes)


def _reads_own_features(ds) -> bool:
    """True when a dataset class overrides ``read_features`` (its files' headers say nothing)."""
    from .datasets.base import ActionDataset

    return type(ds).read_features is not ActionDataset.read_features


def _deep_check(ds, progress: Optional[Callable[[str], None]],
                headers_only: bool = False) -> Tuple[List[Problem], List[int]]:
    """Read every feature file of an ActionDataset once (or only its header, ``headers_only``)."""
    problems: List[Problem] = []
    lengths: List[int] = []
    if ds.feature_source.missing_roots():
        return problems, lengths  # already reported once, as a dataset error
    headers_only = headers_only and not _reads_own_features(ds)
    missing = {p.video_id for p in ds.problems if p.field == "features"}
    for i, entry in enumerate(ds.data_list):
        vid = entry["id"]
        if vid in missing:
            continue
        if progress is not None and i % 100 == 0:
            progress(f"  reading features {i}/{len(ds.data_list)}")
        paths = ds.feature_source.paths(vid)
        file = ", ".join(paths)
        try:
            if headers_only:
                shape = _header_shape(ds, vid, paths)
                problems += check_feature_shape(shape, vid, file, ds.input_dim, ds.downsample_rate)
            else:
                feats = ds.read_features(vid)
                shape = feats.shape
                problems += check_feature_array(feats, vid, file, ds.input_dim, ds.downsample_rate)
        except DataError as exc:
            problems += exc.problems
            continue
        if ds.feat_stride <= 0 and shape[0] > ds.max_seq_len:
            problems.append(Problem(ERROR, "feature length", f"fixed-length features ({shape[0]} steps) "
                                    f"longer than max_seq_len {ds.max_seq_len}", vid, file))
        lengths.append(int(shape[0]))
    return _collapse_dim_errors(problems, len(ds.data_list) - len(missing), ds.input_dim), lengths


def _collapse_dim_errors(problems: List[Problem], num_checked: int, input_dim: Any) -> List[Problem]:
    """When every video has the same wrong feature dim, the config is wrong, not the videos: one
    dataset-level error naming both numbers and a file replaces the per-video ones (so that
    ``on_bad_video: skip`` does not quietly drop the whole split)."""
    dim_errors = [p for p in problems if p.field == "feature dim"]
    found = {p.message.split(" ")[0] for p in dim_errors}
    if len(dim_errors) < 2 or len(dim_errors) != num_checked or len(found) != 1:  # one video proves nothing
        return problems
    example = dim_errors[0]
    hint = " (the arrays look transposed: features must be T x C)" if "transposed" in example.message else ""
    summary = Problem(ERROR, "input_dim", f"dataset.input_dim is {_expected_dim(input_dim)} but the features have "
                      f"{found.pop()} channels (every video, e.g. {example.video_id}){hint}; set dataset.input_dim "
                      "to the features' width", file=example.file)
    return [summary] + [p for p in problems if p.field != "feature dim"]


def _split_summary(ds, subsets: Sequence[str], lengths: List[int]) -> Dict[str, Any]:
    recs = [ds.records[e["id"]] for e in ds.data_list]
    action_durations = [float(e - s) for r in recs for s, e in r.segments]
    return {
        "subsets": list(subsets),
        "num_videos": len(recs),
        "num_instances": int(sum(r.num_instances for r in recs)),
        "duration": _stats([r.duration for r in recs if r.duration is not None]),
        "feat_len": _stats(lengths),
        "action_duration": _stats(action_durations),
    }


def _count_per_class(ds) -> Dict[str, int]:
    counts = OrderedDict((name, 0) for name, _ in sorted(ds.label_dict.items(), key=lambda kv: kv[1]))
    for entry in ds.data_list:
        for lab in ds.records[entry["id"]].labels:
            if lab in counts:
                counts[lab] += 1
    return counts


def _generic_check(name: str, dataset_kwargs: Dict[str, Any], subsets: Sequence[str]) -> (List[Problem], Dict):
    """For a user's dataset class that is not an ActionDataset: load every item once."""
    try:
        ds = make_dataset(name, False, list(subsets), **dataset_kwargs)
    except Exception as exc:
        return [Problem(ERROR, "dataset", f"building dataset {name!r} failed: {type(exc).__name__}: {exc}")], {}
    problems: List[Problem] = []
    lengths: List[int] = []
    for i in range(len(ds)):
        try:
            item = ds[i]
        except Exception as exc:
            problems.append(Problem(ERROR, "item", f"loading item {i} failed: {type(exc).__name__}: {exc}"))
            continue
        vid = str(item.get("video_id", i))
        feats = item["feats"].numpy().T  # (C, T) -> (T, C)
        problems += check_feature_array(feats, vid, None, dataset_kwargs.get("input_dim"))
        lengths.append(feats.shape[0])
        segs = item.get("segments")
        if segs is not None and len(segs) and bool((segs[:, 1] < segs[:, 0]).any()):
            problems.append(Problem(ERROR, "segment", "end < start", vid))
    return problems, {"subsets": list(subsets), "num_videos": len(ds), "num_instances": 0,
                      "feat_len": _stats(lengths)}


def check_dataset(dataset_name: str, dataset_kwargs: Mapping[str, Any], splits: SplitMap,
                  deep: bool = True, progress: Optional[Callable[[str], None]] = None,
                  headers_only: bool = False) -> DataReport:
    """Check the splits (``{"train": ["validation"], "val": ["test"]}``) of a dataset.

    ``dataset_kwargs`` is ``cfg['dataset']``. With ``deep`` every feature file is read (dims,
    NaN / Inf, length), or with ``headers_only`` only its header (dims, length, truncation; not
    NaN / Inf, which reading finds later); without ``deep`` only annotations and file existence
    are checked.
    """
    from .datasets.base import ActionDataset

    kwargs = {k: v for k, v in dict(dataset_kwargs).items() if k != "exclude_videos"}
    kwargs["on_bad_video"] = "ignore"
    report = DataReport(summary={"splits": OrderedDict(), "instances_per_class": OrderedDict()})
    problems: List[Problem] = []
    per_class: Dict[str, Dict[str, int]] = OrderedDict()
    try:
        cls = DATASETS.get(dataset_name)
    except KeyError as exc:
        report.problems = [Problem(ERROR, "dataset_name", str(exc.args[0]))]
        return report
    for split_name, subsets in splits.items():
        if progress is not None:
            progress(f"checking {split_name} split {list(subsets)}")
        if not (isinstance(cls, type) and issubclass(cls, ActionDataset)):
            generic_problems, summary = _generic_check(dataset_name, dict(kwargs), subsets)
            problems += [Problem(p.severity, p.field, p.message, p.video_id, p.file, split_name)
                         for p in generic_problems]
            report.summary["splits"][split_name] = summary
            continue
        try:
            ds = make_dataset(dataset_name, False, list(subsets), **kwargs)
        except DataError as exc:
            problems += exc.problems
            continue
        problems += [Problem(p.severity, p.field, p.message, p.video_id, p.file, split_name) for p in ds.problems]
        lengths: List[int] = []
        if deep:
            deep_problems, lengths = _deep_check(ds, progress, headers_only)
            problems += [Problem(p.severity, p.field, p.message, p.video_id, p.file, split_name)
                         for p in deep_problems]
        report.summary["splits"][split_name] = _split_summary(ds, subsets, lengths)
        for cname, count in _count_per_class(ds).items():
            per_class.setdefault(cname, OrderedDict())[split_name] = count
    problems += _empty_class_problems(per_class, splits)
    report.summary["instances_per_class"] = _fill_counts(per_class, list(report.summary["splits"]))
    report.problems = dedupe(problems)
    return report


def _fill_counts(per_class: Dict[str, Dict[str, int]], split_names: List[str]) -> Dict[str, Dict[str, int]]:
    return OrderedDict((c, OrderedDict((s, counts.get(s, 0)) for s in split_names)) for c, counts in per_class.items())


def _empty_class_problems(per_class: Dict[str, Dict[str, int]], splits: SplitMap) -> List[Problem]:
    train = "train" if "train" in splits else next(iter(splits), None)
    if train is None:
        return []
    return [Problem(WARNING, "class", f"class {name!r} has no instance in the {train} split", split=train)
            for name, counts in per_class.items() if train in counts and counts[train] == 0]


def default_splits(cfg: Mapping[str, Any]) -> Dict[str, List[str]]:
    """``{"train": cfg['train_split'], "val": cfg['val_split']}`` (those that are set)."""
    out: Dict[str, List[str]] = OrderedDict()
    for name, key in (("train", "train_split"), ("val", "val_split")):
        value = cfg.get(key)
        if value:
            out[name] = [value] if isinstance(value, str) else list(value)
    return out


def check_data_from_config(cfg: Mapping[str, Any], splits: Optional[SplitMap] = None, deep: bool = True,
                           progress: Optional[Callable[[str], None]] = None,
                           headers_only: bool = False) -> DataReport:
    """Check a merged config's dataset (``dataset_name``, ``dataset``, train/val splits)."""
    import_custom_modules(cfg)
    report = check_dataset(cfg["dataset_name"], cfg.get("dataset", {}), splits or default_splits(cfg),
                           deep=deep, progress=progress, headers_only=headers_only)
    return report


def enforce_data_policy(cfg: Mapping[str, Any], splits: Optional[SplitMap] = None,
                        report: Optional[DataReport] = None, headers_only: bool = True) -> DataReport:
    """Run the checks before training and apply ``dataset.on_bad_video``.

    By default only the feature files' headers are read (cheap on any dataset size); NaN / Inf
    values are found when a file is read during the run (``FeatureSource.read``).

    Raises :class:`DataCheckError` (its message is the full report) on any dataset-level error,
    or on any error when the policy is ``error``. With ``skip`` it warns, naming every bad
    video, and returns the report: pass ``exclude_videos=sorted(report.bad_video_ids)`` to
    ``make_dataset``.
    """
    report = report or check_data_from_config(cfg, splits, headers_only=headers_only)
    policy = cfg.get("dataset", {}).get("on_bad_video", "error")
    if report.ok:
        return report
    if policy != "skip" or report.dataset_errors:
        raise DataCheckError(report)
    bad = sorted(report.bad_video_ids)
    lines = [p.format() for p in report.errors[:20]]
    warnings.warn(f"dataset.on_bad_video: skip -> training without {len(bad)} bad videos: {', '.join(bad[:20])}"
                  + (" ..." if len(bad) > 20 else "") + "\n  " + "\n  ".join(lines), stacklevel=2)
    return report
