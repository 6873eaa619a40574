"""The duration buckets: exact counts and round targets, and the documented bound on percentiles."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from compris.analytics import buckets
from compris.analytics.figures import Distribution
from compris.analytics.queries import distribution


def test_boundaries_are_at_most_19_percent_apart_and_include_the_round_targets() -> None:
    assert buckets.MAX_RATIO < 1.19 + 1e-9
    assert set(map(float, buckets.ROUND_TARGETS)) <= set(buckets.BOUNDS)
    assert tuple(sorted(buckets.BOUNDS)) == buckets.BOUNDS


def test_a_duration_equal_to_a_target_counts_within_it() -> None:
    counts = Counter(buckets.bucket_of(s) for s in (3599, 3600, 3601, 60, 0))
    assert buckets.share_within(counts, 3600) == (4, 5)
    assert buckets.share_within(counts, 60) == (2, 5)


@given(st.lists(st.floats(min_value=0.0, max_value=5_000_000.0), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.9]))
def test_a_percentile_from_the_buckets_is_within_the_documented_bound(values: list[float], q: float) -> None:
    ordered = sorted(values)
    true = ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank
    estimate = buckets.percentile(Counter(buckets.bucket_of(v) for v in values), q)
    assert estimate is not None
    if true <= 1.0:  # the first bucket: off by under a second
        assert abs(estimate - true) <= 1.0
    else:  # at most 19 % either way
        assert true / buckets.MAX_RATIO - 1e-6 <= estimate <= true * buckets.MAX_RATIO + 1e-6


@given(st.lists(st.integers(min_value=0, max_value=10_000_000), max_size=100),
       st.sampled_from(buckets.ROUND_TARGETS))
def test_the_share_within_a_round_target_is_exact(values: list[int], target: int) -> None:
    within, total = buckets.share_within(Counter(buckets.bucket_of(v) for v in values), target)
    assert (within, total) == (sum(v <= target for v in values), len(values))


def test_a_distribution_reads_count_mean_and_histogram() -> None:
    values = [30, 90, 600, 3000, 7200]
    counts = Counter(buckets.bucket_of(v) for v in values)
    d = distribution(dict(counts), float(sum(values)))
    assert d.count == 5 and d.mean_s == sum(values) / 5
    assert sum(b.count for b in d.histogram) == 5
    assert d.share_within(3600) == 80.0
    assert distribution({}, 0.0) == Distribution(0, None, None, None, [])
