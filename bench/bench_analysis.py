"""Error analysis and pictures: time of each step on ActivityNet- and THUMOS-sized synthetic cases.

The cases are bench_eval.py's (seeded). Each step is timed once after a warm-up call (best of
--repeat): matching, DETAD's false-positive analysis (top 10G, normalized AP), the length /
coverage sensitivity, and drawing + saving the two analysis charts and a precision-recall
figure (matplotlib, Agg). Prints a markdown table and writes bench/results/analysis.json.

  python bench/bench_analysis.py --repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_eval import CASES, make_case, time_call, write_record  # noqa: E402

from actionformer.analysis import (  # noqa: E402
    analyze_false_positives,
    analyze_sensitivity,
    default_bins,
    match_predictions,
)
from actionformer.evaluation import default_tiou_thresholds, load_ground_truth, to_predictions  # noqa: E402
from actionformer.visualize import (  # noqa: E402
    plot_false_positives,
    plot_pr_curves,
    plot_sensitivity,
    save_figure,
)


def _charts(false_positives, sensitivity, matched, folder: str) -> None:
    save_figure(plot_false_positives(false_positives), os.path.join(folder, "fp.png"))
    save_figure(plot_sensitivity(sensitivity), os.path.join(folder, "sensitivity.png"))
    save_figure(plot_pr_curves(matched), os.path.join(folder, "pr.png"))


def measure(name: str, spec: dict, repeat: int, folder: str) -> dict:
    database, arrays, _ = make_case(**spec)
    gt = load_ground_truth(database, split="validation")
    preds = to_predictions(arrays, gt.label_to_id)
    thresholds = default_tiou_thresholds(spec["dataset"])
    match_s, match_cpu, matched = time_call(lambda: match_predictions(gt, preds, thresholds), repeat)
    fp_s, fp_cpu, false_positives = time_call(lambda: analyze_false_positives(matched), repeat)
    bins = default_bins(spec["dataset"])
    sens_s, sens_cpu, sensitivity = time_call(lambda: analyze_sensitivity(matched, bins), repeat)
    chart_s, chart_cpu, _ = time_call(lambda: _charts(false_positives, sensitivity, matched, folder), repeat)
    return {"case": name, "predictions": len(preds), "ground_truth": len(gt), "thresholds": len(thresholds),
            "match_s": match_s, "false_positives_s": fp_s, "sensitivity_s": sens_s, "charts_s": chart_s,
            "cpu_s": match_cpu + fp_cpu + sens_cpu + chart_cpu,
            "base_average_mAP_N": false_positives.base_average_map}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "analysis.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [measure(name, spec, args.repeat, folder) for name, spec in CASES.items()]
    print("| case | predictions | GT | thresholds | matching | false positives | sensitivity | 3 charts | "
          "total (wall) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["match_s"] + r["false_positives_s"] + r["sensitivity_s"] + r["charts_s"]
        print(f"| {r['case']} | {r['predictions']:,} | {r['ground_truth']:,} | {r['thresholds']} | "
              f"{r['match_s']:.2f} s | {r['false_positives_s']:.2f} s | {r['sensitivity_s']:.2f} s | "
              f"{r['charts_s']:.2f} s | {total:.2f} s |")
    write_record("analysis", args.repeat, rows, args.out)


if __name__ == "__main__":
    main()
