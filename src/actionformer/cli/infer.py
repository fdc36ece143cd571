"""Run a trained model on new videos: feature files without annotations, or a split of the config's dataset.

  actionformer infer CONFIG CKPT features/ --fps 30 --out detections.json
  actionformer infer CONFIG CKPT a.npy b.npz c.h5 --fps 30 --out detections.csv --min-score 0.1
  actionformer infer CONFIG CKPT --split test --out test_detections.json

INPUT: feature files (.npy, .npz, .pt, .pth: one video each, T x C; the id is the file name),
HDF5 files (one video per dataset) or folders of them. The feature rate comes from the config
(dataset.default_fps, feat_stride, num_frames) or --fps, --feat-stride, --num-frames. CKPT is a
checkpoint file or an experiment folder (model_best, else last). The output format follows the
extension of --out: .json (ActivityNet results format, read by `actionformer evaluate`) or .csv
(video,start,end,label,score). Videos longer than --window-steps run window by window, with
the same results, in bounded memory (docs/inference.md). Exit codes: 1 bad data (named), 2 a
flag, config or checkpoint that cannot work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.config.overrides import add_override_argument
    from actionformer.inference.detector import DEFAULT_WINDOW_STEPS

    parser.add_argument("config", help="the YAML config the model was trained with (its run folder's config.yaml)")
    parser.add_argument("ckpt", help="checkpoint file, or experiment folder (model_best, else last)")
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="feature files or folders of them")
    parser.add_argument("--split", default=None, metavar="NAME",
                        help="instead of INPUT: the videos of this subset of the config's dataset")
    parser.add_argument("--out", required=True, metavar="FILE", help="results file: .json or .csv")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    timing = parser.add_argument_group("feature timing (default: the config's dataset keys)")
    timing.add_argument("--fps", type=float, default=None, help="frames per second of the videos (dataset.default_fps)")
    timing.add_argument("--feat-stride", type=float, default=None, help="frames between features (dataset.feat_stride)")
    timing.add_argument("--num-frames", type=float, default=None,
                        help="frames seen by one feature (dataset.num_frames)")
    keep = parser.add_argument_group("which detections to keep")
    keep.add_argument("--min-score", type=float, default=0.0, help="drop detections scoring below this")
    keep.add_argument("--top-k", type=int, default=0, help="keep the K best per video (0: all the model returns)")
    keep.add_argument("--constraints", default=None, metavar="FILE",
                      help="temporal rules applied per video (actionformer.postprocess.constraints)")
    run = parser.add_argument_group("running")
    run.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: the GPU when there is one)")
    run.add_argument("--batch-size", type=int, default=8, help="videos per batch (similar lengths together)")
    run.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off",
                     help="autocast of the network (bf16: CPU and CUDA; fp16: CUDA); decoding stays float32")
    run.add_argument("--window-steps", type=int, default=DEFAULT_WINDOW_STEPS,
                     help="longer videos run window by window (exact, bounded memory)")
    run.add_argument("--classes", default=None, metavar="FILE",
                     help="class names, one per line (default: from the config's dataset files, else label ids)")
    run.add_argument("--no-ema", action="store_true", help="use the raw weights, not the EMA ones")
    run.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads of torch")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_override_argument(parser)


def run(args: argparse.Namespace) -> int:
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # before torch is imported
    from actionformer.data import DataError
    from actionformer.inference import InferenceError

    try:
        return _infer(args)
    except InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _check_arguments(args: argparse.Namespace) -> None:
    from actionformer.inference.errors import USAGE, InferenceError
    from actionformer.inference.writers import WRITERS, check_output

    if bool(args.inputs) == bool(args.split):
        raise InferenceError("give feature files / folders (INPUT) or --split NAME, not both and not neither", USAGE)
    out = Path(args.out)
    if out.suffix.lower() not in {ext for _, ext in WRITERS}:
        raise InferenceError(f"--out {out}: unknown format '{out.suffix or out.name}'; use one of "
                             f"{', '.join(sorted({ext for _, ext in WRITERS}))}", USAGE)
    check_output(out, args.overwrite)
    if args.top_k < 0:
        raise InferenceError(f"--top-k {args.top_k}: must be >= 0 (0 keeps all)", USAGE)
    if not 0.0 <= args.min_score <= 1.0:  # also NaN, which would silently keep nothing
        raise InferenceError(f"--min-score {args.min_score}: must be a score in [0, 1]", USAGE)


def apply_threads_and_find_checkpoint(args: argparse.Namespace) -> Path:
    """Apply ``--threads`` and return the checkpoint file ``args.ckpt`` names (a file, or an
    experiment folder's model_best, else last); an ``InferenceError`` (USAGE) when either fails."""
    from actionformer.inference.errors import USAGE, InferenceError

    from .eval_checkpoint import resolve_checkpoint
    from .train import apply_threads

    problem = apply_threads(args)
    if problem is not None:
        raise InferenceError(problem, USAGE)
    try:
        ckpt = resolve_checkpoint(Path(args.ckpt))
    except FileNotFoundError as exc:
        raise InferenceError(str(exc), USAGE) from exc
    return ckpt


def _infer(args: argparse.Namespace) -> int:
    from actionformer.inference import Detector, write_results
    from actionformer.inference.model_loading import load_inference_config, read_class_names
    from actionformer.inference.selection import apply_selection, load_temporal_constraints

    _check_arguments(args)
    cfg = load_inference_config(args.config, list(args.set or []))
    ckpt = apply_threads_and_find_checkpoint(args)
    names = read_class_names(args.classes) if args.classes else None
    detector = Detector.from_checkpoint(cfg, ckpt, args.device, use_ema=not args.no_ema, class_names=names,
                                        amp=args.amp, window_steps=args.window_steps)
    constraints = load_temporal_constraints(args.constraints, detector.class_names) if args.constraints else None
    show = not args.no_progress
    if args.split:
        results = _run_split(detector, cfg, args.split, args.batch_size, show, keep_names=names is None)
    else:
        results = detector.run(args.inputs, fps=args.fps, feat_stride=args.feat_stride, num_frames=args.num_frames,
                               batch_size=args.batch_size, progress=show)
    results = apply_selection(results, args.min_score, args.top_k, constraints)
    out = write_results(results, args.out, detector.class_names, overwrite=args.overwrite)
    total = sum(len(r["scores"]) for r in results)
    print(f"=> {total} detections of {len(results)} videos written to {out} ({ckpt}, {detector.device})")
    return 0


def _run_split(detector: Any, cfg: Dict[str, Any], split: str, batch_size: int, show: bool,
               keep_names: bool) -> List[Dict[str, Any]]:
    """The videos of one subset of the config's dataset (timing from its annotations)."""
    from actionformer.engine.build import build_dataset, label_names
    from actionformer.inference.sources import check_features

    dataset = build_dataset(cfg, False, [split])
    if len(dataset) == 0:
        from actionformer.inference.errors import USAGE, InferenceError

        raise InferenceError(f"--split {split}: no video of the config's dataset is in this subset", USAGE)
    if keep_names:
        ids = label_names(dataset)
        detector.class_names = [ids.get(i, str(i)) for i in range(max(ids) + 1)] if ids else detector.class_names

    def item(index: int) -> Dict[str, Any]:
        video = dataset[index]
        where = ", ".join(dataset.feature_source.paths(video["video_id"]))
        check_features(video["feats"].t().numpy(), detector.input_dim, video["video_id"], where)
        return video

    lengths = [_header_length(dataset, vid) for vid in dataset.video_ids]
    return detector.predict_stream([lambda i=i: item(i) for i in range(len(dataset))], lengths, batch_size, show)


def _header_length(dataset: Any, video_id: str) -> int:
    try:
        return int(dataset.feature_source.shapes(video_id)[0][0])
    except Exception:  # unreadable: reading it names the problem
        return 0

