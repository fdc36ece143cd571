"""Default tIoU thresholds per benchmark, as the original release's dataset classes set them."""

from __future__ import annotations

import argparse
import difflib
import os
from typing import List, Optional

import numpy as np

# np.linspace exactly as the original release calls it: the float values (e.g. 0.6000000000000001)
# decide `tiou >= threshold` at the boundary, so they must be bit-identical.
_THRESHOLDS = {
    "thumos": (0.3, 0.7, 5),
    "anet": (0.5, 0.95, 10),
    "epic": (0.1, 0.5, 5),
    "ego4d": (0.1, 0.5, 5),
}

_ALIASES = {
    "thumos": "thumos",
    "thumos14": "thumos",
    "thumos-14": "thumos",
    "thumos_14": "thumos",
    "anet": "anet",
    "anet1.3": "anet",
    "activitynet": "anet",
    "activitynet1.3": "anet",
    "activitynet-1.3": "anet",
    "activitynet 1.3": "anet",
    "epic": "epic",
    "epic-kitchens": "epic",
    "epic-kitchens-100": "epic",
    "epic_kitchens": "epic",
    "epickitchens": "epic",
    "ego4d": "ego4d",
    "ego4d-mq": "ego4d",
    "ego4d_mq": "ego4d",
}


def canonical_dataset_name(dataset_name: str) -> str:
    """``'thumos'``, ``'anet'``, ``'epic'`` or ``'ego4d'`` for a benchmark name or alias."""
    key = str(dataset_name).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, list(_ALIASES), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(
        f"no default tIoU thresholds for dataset '{dataset_name}'; known: "
        f"{', '.join(sorted(_THRESHOLDS))}.{hint} Pass the thresholds explicitly instead."
    )


def default_tiou_thresholds(dataset_name: str) -> np.ndarray:
    """The original's thresholds: THUMOS14 0.3:0.1:0.7, ActivityNet 0.5:0.05:0.95, EPIC / Ego4D 0.1:0.1:0.5."""
    start, stop, num = _THRESHOLDS[canonical_dataset_name(dataset_name)]
    return np.linspace(start, stop, num)


def guess_dataset_name(text: str) -> Optional[str]:
    """The benchmark a file name or dataset name refers to, or None (used for CLI defaults)."""
    lowered = str(text).lower()
    for needle, name in (("thumos", "thumos"), ("activitynet", "anet"), ("anet", "anet"),
                         ("epic", "epic"), ("ego4d", "ego4d")):
        if needle in lowered:
            return name
    return None


def tiou_thresholds_from_arguments(args: argparse.Namespace, notes: List[str]) -> np.ndarray:
    """The thresholds of ``--tiou``, else ``--dataset``'s, else those of the dataset the ground-truth
    file name names (ActivityNet's when none, with a note appended to ``notes``)."""
    if args.tiou is not None:
        bad = [t for t in args.tiou if not 0.0 < t <= 1.0]
        if bad:
            raise ValueError(f"--tiou thresholds must lie in (0, 1], got {bad}")
        return np.asarray(args.tiou, dtype=np.float64)
    if args.dataset is not None:
        return default_tiou_thresholds(args.dataset)
    guessed = guess_dataset_name(os.path.basename(args.ground_truth))
    if guessed is None:
        notes.append("note: dataset not recognised from the file name; using ActivityNet's thresholds "
                     "0.5:0.05:0.95 (set --dataset or --tiou)")
        guessed = "anet"
    return default_tiou_thresholds(guessed)
