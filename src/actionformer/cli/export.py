"""Export a trained model's dense network (backbone, neck, heads) to ONNX or TorchScript.

  actionformer export CONFIG CKPT --format onnx --out model.onnx
  actionformer export CONFIG CKPT --format torchscript --out model.pt

The time axis is dynamic: any input length that is a multiple of the model's length multiple
(printed, and stored with the rest of the metadata in FILE.json beside the export). Inputs:
feats (B, C, T) float32 and masks (B, 1, T) bool; outputs per pyramid level: cls_logits, offsets,
masks. Decoding stays in Python: actionformer.export.detect_from_outputs (docs/inference.md).
The standard layers are exported (the model is built with model.cpu_kernels: false; the CPU
kernels are not traceable). The file is run at two lengths after writing and compared with
PyTorch (at most 1e-4 apart, else exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.config.overrides import add_override_argument

    parser.add_argument("config", help="the YAML config the model was trained with")
    parser.add_argument("ckpt", help="checkpoint file, or experiment folder (model_best, else last)")
    parser.add_argument("--format", required=True, choices=["onnx", "torchscript"], help="file format")
    parser.add_argument("--out", required=True, metavar="FILE", help="the exported file (metadata: FILE.json)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    parser.add_argument("--no-ema", action="store_true", help="export the raw weights, not the EMA ones")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads of torch")
    add_override_argument(parser)


def run(args: argparse.Namespace) -> int:
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # before torch is imported
    from actionformer.inference import InferenceError

    try:
        return _export(args)
    except InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code


def _export(args: argparse.Namespace) -> int:
    import torch

    from actionformer.export import export_model, metadata_path
    from actionformer.inference.errors import DATA, USAGE, InferenceError
    from actionformer.inference.model_loading import (
        build_trained_model, class_names_from_config, load_inference_config,
    )
    from actionformer.inference.writers import check_output

    from .infer import apply_threads_and_find_checkpoint

    out = Path(args.out)
    expected = {"onnx": {".onnx"}, "torchscript": {".pt", ".pth", ".ts"}}[args.format]
    if out.suffix.lower() not in expected:  # a .onnx that holds TorchScript misleads every later tool
        raise InferenceError(f"--out {out}: a {args.format} file should end in {' or '.join(sorted(expected))}",
                             USAGE)
    check_output(out, args.overwrite)  # exists, a folder, or not writable: named before any work
    if metadata_path(out).exists() and not args.overwrite:
        raise InferenceError(f"{metadata_path(out)} exists; pass --overwrite to replace it", USAGE)
    if args.format == "onnx":
        _require_onnx()
    # the standard layers: the CPU kernels are not traceable (same function up to rounding)
    cfg = load_inference_config(args.config, list(args.set or []) + ["model.cpu_kernels=false"])
    ckpt = apply_threads_and_find_checkpoint(args)
    model = build_trained_model(cfg, ckpt, torch.device("cpu"), use_ema=not args.no_ema)
    try:
        meta = export_model(model, cfg, out, args.format, class_names_from_config(cfg), opset=args.opset)
    except ValueError as exc:
        raise InferenceError(str(exc), DATA) from exc
    except OSError as exc:  # the folder changed since the check
        raise InferenceError(f"--out {out}: cannot write: {exc}", USAGE) from exc
    print(f"=> {args.format} export of {ckpt} written to {out} (metadata: {metadata_path(out)})")
    print(f"   input length: a multiple of {meta['length_multiple']} steps; checked at lengths "
          f"{meta['checked_lengths']}: max |exported - PyTorch| = {meta['max_abs_difference']:.2e}")
    return 0


def _require_onnx() -> None:
    from actionformer.inference.errors import USAGE, InferenceError

    missing = []
    for name in ("onnx", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise InferenceError(f"--format onnx needs {' and '.join(missing)}: pip install 'actionformer[export]'", USAGE)
