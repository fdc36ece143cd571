"""Benchmark: our SoccerNet a-mAP against SoccerNet's own evaluator, 12 games x 17 classes.

The case: 12 seeded games in SoccerNet's layout (two 45-minute halves, 220 events per game as in
SoccerNet-v2, 15 % of them unshown), and per game 2,000 predictions (half of them jittered copies of
events, half random), scores as a model gives them. Both sides read the same files and compute the
tight and the loose a-mAP; ours also computes the frame-tolerance mAP in the same call.

The reference runs in its own virtual environment (it is not a dependency):

    python3 -m venv /tmp/snref && /tmp/snref/bin/pip install --no-deps SoccerNet==0.2.0 \
        && /tmp/snref/bin/pip install numpy tqdm
    PYTHONPATH=src python bench/bench_spotting_eval.py --reference-python /tmp/snref/bin/python

Without ``--reference-python`` only ours is timed. Prints a markdown table and writes
bench/results/spotting_eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from actionformer.evaluation.spotting import (SOCCERNET_V2_CLASSES, SpottingEvaluator, load_spotting_ground_truth,
                                              load_spotting_predictions)

HALF_MS = 45 * 60 * 1000

_REFERENCE_SCRIPT = """
import json, sys, time
from SoccerNet.Evaluation.ActionSpotting import evaluate
labels, preds = sys.argv[1], sys.argv[2]
start = time.perf_counter()
out = {}
for metric in ("tight", "loose"):
    r = evaluate(labels, preds, prediction_file="results_spotting.json", version=2, framerate=2, metric=metric,
                 label_files="Labels-v2.json", dataset=None, EVENT_DICTIONARY=json.loads(sys.argv[3]))
    out[metric] = {k: (list(map(float, v)) if isinstance(v, list) else float(v)) for k, v in r.items()}
out["seconds"] = time.perf_counter() - start
print(json.dumps(out))
"""


def _clock(ms: int, half: int) -> str:
    return f"{half} - {ms // 60000:02d}:{(ms // 1000) % 60:02d}"


def make_games(root: Path, num_games: int, events_per_game: int, preds_per_game: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = SOCCERNET_V2_CLASSES
    for g in range(num_games):
        game = f"league/season/game{g:02d}"
        half = rng.integers(1, 3, events_per_game)
        ms = rng.integers(0, HALF_MS, events_per_game)
        label = rng.integers(0, len(classes), events_per_game)
        unshown = rng.random(events_per_game) < 0.15
        labels = {"annotations": [{"gameTime": _clock(int(m), int(h)), "label": classes[int(c)],
                                   "position": str(int(m)), "visibility": "not shown" if u else "visible"}
                                  for h, m, c, u in zip(half, ms, label, unshown)]}
        near = preds_per_game // 2
        pick = rng.integers(0, events_per_game, near)
        p_half = np.concatenate([half[pick], rng.integers(1, 3, preds_per_game - near)])
        p_ms = np.concatenate([np.clip(ms[pick] + rng.normal(0, 3000, near), 0, HALF_MS - 1),
                               rng.integers(0, HALF_MS, preds_per_game - near)]).astype(np.int64)
        p_label = np.concatenate([label[pick], rng.integers(0, len(classes), preds_per_game - near)])
        p_score = rng.random(preds_per_game).astype(np.float32)
        preds = {"predictions": [{"gameTime": _clock(int(m), int(h)), "label": classes[int(c)], "position": int(m),
                                  "half": int(h), "confidence": float(s)}
                                 for h, m, c, s in zip(p_half, p_ms, p_label, p_score)]}
        for sub, name, payload in (("labels", "Labels-v2.json", labels), ("preds", "results_spotting.json", preds)):
            (root / sub / game).mkdir(parents=True, exist_ok=True)
            (root / sub / game / name).write_text(json.dumps(payload))


def run_ours(root: Path, repeat: int):
    """Median seconds of (files read, all metrics computed) and the result."""
    loads, metrics, evaluator = [], [], None
    for _ in range(repeat):
        start = time.perf_counter()
        ground_truth = load_spotting_ground_truth(root / "labels")
        detections = load_spotting_predictions(root / "preds", ground_truth["classes"])
        loaded = time.perf_counter()
        evaluator = SpottingEvaluator(ground_truth)
        evaluator.evaluate(detections, keep_order=True)
        loads.append(loaded - start)
        metrics.append(time.perf_counter() - loaded)
    return float(np.median(loads)), float(np.median(metrics)), evaluator.result


def run_reference(python: str, root: Path):
    dictionary = json.dumps({name: i for i, name in enumerate(SOCCERNET_V2_CLASSES)})
    done = subprocess.run([python, "-c", _REFERENCE_SCRIPT, str(root / "labels"), str(root / "preds"), dictionary],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=12)
    parser.add_argument("--events", type=int, default=220, help="events per game")
    parser.add_argument("--preds", type=int, default=2000, help="predictions per game")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-python", default=None, help="python of a venv with SoccerNet installed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_games(root, args.games, args.events, args.preds, seed=0)
        load_s, metric_s, result = run_ours(root, args.repeat)
        ours_s = load_s + metric_s
        reference = run_reference(args.reference_python, root) if args.reference_python else None
    row = {"games": args.games, "classes": 17, "events_per_game": args.events, "preds_per_game": args.preds,
           "ours_s": ours_s, "ours_load_s": load_s, "ours_metrics_s": metric_s,
           "tight": result.tight.a_mAP, "loose": result.loose.a_mAP}
    print("| case | ours: read + metrics (s) | SoccerNet 0.2.0 (s) | speed-up | tight a-mAP | loose a-mAP "
          "| max abs diff |")
    print("|---|---|---|---|---|---|---|")
    if reference is not None:
        diff = max(abs(getattr(result, m).a_mAP - reference[m]["a_mAP"]) for m in ("tight", "loose"))
        diff = max([diff] + [float(np.max(np.abs(np.asarray(getattr(getattr(result, m), f))
                                                 - np.asarray(reference[m][f]))))
                             for m in ("tight", "loose") for f in ("a_mAP_per_class", "a_mAP_per_class_visible",
                                                                  "a_mAP_per_class_unshown")])
        row.update(reference_s=reference["seconds"], speedup=reference["seconds"] / ours_s, max_abs_diff=diff)
        print(f"| {args.games} games x 17 classes | {load_s:.2f} + {metric_s:.2f} | {reference['seconds']:.1f} | "
              f"{row['speedup']:.0f}x | {row['tight'] * 100:.2f} | {row['loose'] * 100:.2f} | {diff:.1e} |")
    else:
        print(f"| {args.games} games x 17 classes | {load_s:.2f} + {metric_s:.2f} | - | - | {row['tight'] * 100:.2f} | "
              f"{row['loose'] * 100:.2f} | - |")
    row["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), " \
                     f"python {platform.python_version()}"
    out = Path(__file__).resolve().parent / "results" / "spotting_eval.json"
    out.write_text(json.dumps(row, indent=1))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
