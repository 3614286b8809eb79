"""Small statistics used by process analytics, in plain Python so that the addon
needs no numerical library at run time (the tests compare them with SciPy)."""

import math
import random


def median(values):
    """Median of a list of numbers, None when empty."""
    data = sorted(values)
    size = len(data)
    if not size:
        return None
    middle = size // 2
    if size % 2:
        return float(data[middle])
    return (data[middle - 1] + data[middle]) / 2.0


def percentile(values, q):
    """Percentile q (0-100) with linear interpolation between closest ranks
    (NumPy's default method), None when empty."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def mean(values):
    data = list(values)
    return sum(data) / len(data) if data else None


def ranks(values):
    """Average ranks (1-based) of the values, ties sharing their mean rank, and the
    sizes of the tie groups."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    ties = []
    index = 0
    while index < len(order):
        end = index
        while end + 1 < len(order) and values[order[end + 1]] == values[order[index]]:
            end += 1
        rank = (index + end) / 2.0 + 1
        for position in range(index, end + 1):
            result[order[position]] = rank
        ties.append(end - index + 1)
        index = end + 1
    return result, ties


def mann_whitney_u(x, y):
    """Two-sided Mann-Whitney U test with the normal approximation, tie correction
    and continuity correction. Returns (U of x, p-value); the same figures as
    ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")``."""
    n1, n2 = len(x), len(y)
    if not n1 or not n2:
        return None, None
    rank_values, ties = ranks(list(x) + list(y))
    r1 = sum(rank_values[:n1])
    u1 = r1 - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    total = n1 + n2
    tie_term = sum(t**3 - t for t in ties) / (total * (total - 1)) if total > 1 else 0.0
    sigma = math.sqrt(n1 * n2 / 12.0 * ((total + 1) - tie_term))
    if not sigma:
        return u1, 1.0
    z = (max(u1, u2) - n1 * n2 / 2.0 - 0.5) / sigma
    p_value = min(1.0, math.erfc(z / math.sqrt(2.0)))
    return u1, p_value


def bootstrap_median_difference(control, variant, runs=2000, seed=42, level=0.95):
    """Percentile bootstrap confidence interval of median(variant) - median(control),
    with a fixed seed so that the same data gives the same interval."""
    if not control or not variant:
        return None, None
    rng = random.Random(seed)
    n1, n2 = len(control), len(variant)
    differences = sorted(
        median([variant[rng.randrange(n2)] for _i in range(n2)])
        - median([control[rng.randrange(n1)] for _i in range(n1)])
        for _run in range(runs)
    )
    tail = (1 - level) / 2 * 100
    return percentile(differences, tail), percentile(differences, 100 - tail)


def fmt(value, digits=1, sign=False):
    """A number as text for messages: fixed decimals, optionally signed."""
    return f"{value or 0.0:{'+' if sign else ''}.{digits}f}"
