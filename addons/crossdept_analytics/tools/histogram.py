"""The handling times (cycle working hours) of closed tickets counted in fixed buckets
growing by 1%: bucket 0 holds [0, 0.01 h), bucket k >= 1 holds
[0.01 * 1.01^(k-1), 0.01 * 1.01^k) hours. The daily sums of the ticket facts keep
one histogram per row (crossdept.analytics.ticket.day); a median or a percentile
is then exact: the histograms tell which bucket holds the values it is made of
and their ranks in it, and only that bucket's facts are read (an index of the
ticket facts by bucket and day)."""

import math

from odoo.tools import SQL


def cycle_bucket(column):
    """The bucket of the hours ``column`` (SQL); NULL for NULL. Written with
    its constants so that the index of the facts by bucket matches it."""
    return SQL(
        """(CASE WHEN %s < 0.01 THEN 0
                 ELSE 1 + floor(ln(%s::float8 / 0.01) / ln(1.01))::integer END)""",
        column,
        column,
    )


def percentile_positions(total, percentile):
    """(position, first rank, second rank) of a percentile (0..1) among ``total``
    sorted values, as PostgreSQL's percentile_cont takes them (ranks from 0)."""
    position = percentile * (total - 1)
    return position, math.floor(position), math.ceil(position)


def interpolate(low, high, position, first):
    """percentile_cont's value between its two neighbouring values."""
    return low if high is None else low + (high - low) * (position - first)
