"""What each convTransformerv2 switch costs: parameters, training activations, step time.

THUMOS14/I3D sizes (as in bench_backbone_v2.py) at one sequence length (default 2304, the
THUMOS training length), batch 1. Variants: v1, v2 with every switch off, each switch alone,
and all switches on. For each:
- ``params``: parameter count of the backbone;
- ``saved_mib``: activations autograd keeps for backward after one training forward (unique
  storages reached by the saved-tensor hooks) -- exact and machine-independent, the part of
  training memory the switches change;
- ``train_cpu_s`` / ``infer_cpu_s``: best-of-``reps`` process CPU time (divided by the thread
  count) of a forward+backward / an inference forward; variants are interleaved round by round
  so that all see the same machine load.

    PYTHONPATH=src python bench/bench_backbone_v2_switches.py [--length 2304] [--reps 3]

Prints a markdown table and writes ``bench/results/backbone_v2_switches.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
from pathlib import Path

import torch

from bench_backbone_v2 import THUMOS_SIZES

RESULTS = Path(__file__).resolve().parent / "results" / "backbone_v2_switches.json"
ALL_OFF = dict(use_rope=False, use_flash_attn=False, use_swiglu=False, use_rms_norm=False,
               n_kv_head=None)
VARIANTS = {
    "v1 (convTransformer)": None,
    "v2, all off": {},
    "v2 + use_flash_attn": {"use_flash_attn": True},
    "v2 + use_rope": {"use_rope": True},
    "v2 + use_swiglu": {"use_swiglu": True},
    "v2 + use_rms_norm": {"use_rms_norm": True},
    "v2 + n_kv_head=2": {"n_kv_head": 2},
    "v2, all on": dict(use_rope=True, use_flash_attn=True, use_swiglu=True, use_rms_norm=True,
                       n_kv_head=2),
}


def build(switches):
    from actionformer.modeling.backbones import ConvTransformerBackbone, ConvTransformerV2Backbone

    if switches is None:
        return ConvTransformerBackbone(**THUMOS_SIZES)
    return ConvTransformerV2Backbone(**THUMOS_SIZES, **{**ALL_OFF, **switches})


def saved_activation_mib(model, x, mask) -> float:
    storages = {}

    def pack(t):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        feats, _ = model(x, mask)
    del feats
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    return sum(n for ptr, n in storages.items() if ptr not in params) / 2**20


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _train_step(model, x, mask) -> None:
    model.train()
    feats, _ = model(x, mask)
    sum(f.sum() for f in feats).backward()
    model.zero_grad(set_to_none=False)


def _infer_step(model, x, mask) -> None:
    model.eval()
    with torch.inference_mode():
        model(x, mask)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=2304)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    x = torch.randn(1, THUMOS_SIZES["n_in"], args.length)  # (B, C, T)
    mask = torch.ones(1, 1, args.length, dtype=torch.bool)  # (B, 1, T)
    models = {name: build(switches) for name, switches in VARIANTS.items()}
    rows = {name: {"variant": name, "params": sum(p.numel() for p in m.parameters()),
                   "saved_mib": saved_activation_mib(m, x, mask)} for name, m in models.items()}
    for step, field in ((_train_step, "train_cpu_s"), (_infer_step, "infer_cpu_s")):
        for model in models.values():
            step(model, x, mask)  # warm-up
        for _ in range(max(1, args.reps)):
            for name, model in models.items():
                start = _cpu()
                step(model, x, mask)
                spent = (_cpu() - start) / threads
                rows[name][field] = min(rows[name].get(field, float("inf")), spent)

    base = rows["v1 (convTransformer)"]
    lines = ["| variant | params (M) | saved activations MiB | train cpu s | infer cpu s |",
             "|---|---|---|---|---|"]
    for row in rows.values():
        lines.append(
            f"| {row['variant']} | {row['params'] / 1e6:.2f} | {row['saved_mib']:.0f} "
            f"({row['saved_mib'] / base['saved_mib']:.2f}x) | {row['train_cpu_s']:.2f} "
            f"({row['train_cpu_s'] / base['train_cpu_s']:.2f}x) | {row['infer_cpu_s']:.2f} "
            f"({row['infer_cpu_s'] / base['infer_cpu_s']:.2f}x) |")
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"torch": torch.__version__, "python": platform.python_version(), "threads": threads,
            "T": args.length, "batch": 1, "reps": args.reps, "sizes": THUMOS_SIZES}
    args.out.write_text(json.dumps({"meta": meta, "rows": list(rows.values())}, indent=1,
                                   default=list) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
