"""Duration histograms: the fixed, log-scale buckets every duration figure is stored in, and percentiles read back
from them. Pure.

Bucket boundaries are the powers of 2^(1/4) seconds from 1 s to about 60 days (so two consecutive boundaries are
at most 19 % apart), plus the round targets supervisors set (1, 5, 10, 15, 30 min; 1, 2, 4, 8, 12 h; 1, 2, 3, 7
days), so that "the share answered within 1 h" read from a histogram is exact for those targets. Bucket ``i``
holds the durations ``BOUNDS[i] < d <= BOUNDS[i + 1]``; bucket 0 holds everything up to 1 s (0 included) and the
last bucket everything above its lower bound.

**Error bound** (``docs/analytics.md``): a percentile is located exactly in its bucket (the counts are exact) and
then interpolated geometrically inside it, so the value reported differs from the true percentile by less than the
bucket's width: at most 19 % of the true value (``MAX_RATIO - 1``) for durations between 1 s and 60 days, and under
1 s below. Counts, shares within a round target and means (``total / count``) are exact.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BOUNDS",
    "MAX_RATIO",
    "ROUND_TARGETS",
    "HistogramBin",
    "bucket_bounds",
    "bucket_of",
    "percentile",
    "share_within",
]

#: targets a supervisor typically sets, kept as exact boundaries (seconds)
ROUND_TARGETS: tuple[int, ...] = (
    60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200, 604800,
)
_GEOMETRIC = tuple(round(2 ** (k / 4), 3) for k in range(0, 93))  # 1 s .. ~ 2^23 s (97 days)
BOUNDS: tuple[float, ...] = (0.0, *sorted(set(_GEOMETRIC) | {float(t) for t in ROUND_TARGETS}))
#: the largest ratio between two consecutive boundaries above 1 s
MAX_RATIO = max(BOUNDS[i + 1] / BOUNDS[i] for i in range(1, len(BOUNDS) - 1))
LAST = len(BOUNDS) - 1


@dataclass(frozen=True)
class HistogramBin:
    """One bucket of a distribution chart: durations ``lo_s < d <= hi_s`` (``hi_s`` None: and longer)."""

    lo_s: float
    hi_s: float | None
    count: int


def bucket_of(seconds: float) -> int:
    """The bucket index of a duration (negative durations count as 0)."""
    if seconds <= 0:
        return 0
    return max(0, bisect.bisect_left(BOUNDS, seconds) - 1)


def bucket_bounds(index: int) -> tuple[float, float | None]:
    """``(lo, hi)`` of bucket ``index`` (``hi`` None for the last)."""
    lo = BOUNDS[index]
    return lo, (BOUNDS[index + 1] if index < LAST else None)


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The ``q``-quantile (0 < q <= 1) of the durations counted per bucket, interpolated geometrically inside its
    bucket (linearly in the first); None when empty."""
    total = sum(c for c in counts.values() if c > 0)
    if total <= 0:
        return None
    rank = q * total
    seen = 0.0
    for index in sorted(counts):
        count = counts[index]
        if count <= 0:
            continue
        if seen + count >= rank:
            frac = min(1.0, max(0.0, (rank - seen) / count))
            lo, hi = bucket_bounds(index)
            if hi is None:
                return lo
            if lo <= 0:
                return hi * frac
            return float(lo * (hi / lo) ** frac)
        seen += count
    lo, _hi = bucket_bounds(max(counts))
    return lo


def share_within(counts: Mapping[int, int], target_s: float) -> tuple[int, int]:
    """``(within, total)``: durations at or under ``target_s`` — exact when the target is a boundary (every
    :data:`ROUND_TARGETS`), else counted up to the largest boundary under it (a lower bound)."""
    total = sum(c for c in counts.values() if c > 0)
    limit = bisect.bisect_right(BOUNDS, target_s) - 1  # buckets below it end at or before that boundary
    within = sum(c for i, c in counts.items() if c > 0 and i < limit)
    return within, total
