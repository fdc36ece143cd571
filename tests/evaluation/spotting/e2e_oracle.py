"""A slow, literal statement of the frame-tolerance AP of E2E-Spot, the oracle of the vectorised one.

Written from the metric's description: per class, predictions by descending score (stable); each
takes the nearest not-yet-recalled (video, position) of its class, a true positive when within the
tolerance; AP = sum of the interpolated precision at the true positives / number of events.
"""

from __future__ import annotations

from typing import Dict, List, Tuple


def oracle_ap(events: Dict[str, List[int]], preds: List[Tuple[str, int, float]], tolerance: int) -> float:
    total = sum(len(v) for v in events.values())
    recalled = set()
    precisions = []
    ranked = sorted(preds, key=lambda p: -p[2])
    for rank, (video, pos, _) in enumerate(ranked, 1):
        nearest = None
        for event in events.get(video, []):
            if (video, event) in recalled:
                continue
            if nearest is None or abs(pos - nearest) > abs(pos - event):
                nearest = event
        if nearest is not None and abs(pos - nearest) <= tolerance:
            recalled.add((video, nearest))
            precisions.append(len(recalled) / rank)
    best, interpolated = 0.0, []
    for p in reversed(precisions):
        best = max(best, p)
        interpolated.append(best)
    return sum(interpolated) / total
