"""A plain, obviously correct implementation of the temporal rules, one detection at a time.

The property tests compare ``TemporalConstraints`` with it; it is written for reading, not speed.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

Det = Tuple[float, float, float, int]  # start, end, score, label


def _rule(rules: Dict, default: Dict, label: int, field: str) -> Optional[float]:
    own = rules.get(label, {})
    return own.get(field, default.get(field))


def reference_apply(dets: Sequence[Det], default: Dict, rules: Dict, exclusive: Sequence[Sequence[int]],
                    max_per_video: Optional[int]) -> List[Det]:
    dets = _merge(list(dets), default, rules)
    kept = []
    for s, e, score, label in dets:
        lo, hi = _rule(rules, default, label, "min_duration"), _rule(rules, default, label, "max_duration")
        if (lo is None or e - s >= lo) and (hi is None or e - s <= hi):
            kept.append((s, e, score, label))
    dets = _greedy(kept, lambda a, b: a[3] == b[3] and _rule(rules, default, a[3], "min_gap") is not None
                   and max(a[0], b[0]) - min(a[1], b[1]) < _rule(rules, default, a[3], "min_gap"))

    def excluded(a: Det, b: Det) -> bool:
        shares = any(a[3] in g and b[3] in g for g in exclusive)
        return a[3] != b[3] and shares and min(a[1], b[1]) - max(a[0], b[0]) > 0

    dets = _greedy(dets, excluded)
    dets = sorted(dets, key=lambda d: -d[2])
    return dets[:max_per_video] if max_per_video is not None else dets


def _merge(dets: List[Det], default: Dict, rules: Dict) -> List[Det]:
    out: List[Det] = []
    for label in sorted({d[3] for d in dets}):
        members = sorted((d for d in dets if d[3] == label), key=lambda d: (d[0], d[1]))
        gap = _rule(rules, default, label, "merge_gap")
        if gap is None:
            out.extend(members)
            continue
        start, end, best = members[0][0], members[0][1], members[0][2]
        for s, e, score, _ in members[1:]:
            if s - end <= gap:  # ``end`` is the furthest end so far
                end, best = max(end, e), max(best, score)
            else:
                out.append((start, end, best, label))
                start, end, best = s, e, score
        out.append((start, end, best, label))
    return out


def _greedy(dets: List[Det], conflicts) -> List[Det]:
    kept: List[Det] = []
    for det in sorted(dets, key=lambda d: -d[2]):
        if not any(conflicts(det, k) for k in kept):
            kept.append(det)
    return kept
