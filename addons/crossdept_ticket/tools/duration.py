"""How CrossDept shows durations and measures, on every screen and in every report.

One rule for the whole product: durations are hours with one decimal and the unit
("52.8 h", "1,204.5 h"), in the reader's language (its separators and its word for
hours); nothing to show is an en dash (U+2013), never 0. The web client applies the
same rule with ``@crossdept_ticket/views/duration`` (field widget and formatter
``crossdept_hours``)."""

from odoo.tools.misc import formatLang

EMPTY = "\u2013"


def _is_empty(value):
    return value is None or value is False


def format_number(env, value, digits=1, sign=False):
    """A measure with ``digits`` decimals in the reader's language, EMPTY when empty."""
    if _is_empty(value):
        return EMPTY
    text = formatLang(env, value, digits=digits)
    return f"+{text}" if sign and value > 0 else text


def format_hours(env, hours, sign=False):
    """Hours as "52.8 h" in the reader's language, EMPTY when empty; ``sign`` writes
    "+" before a positive difference."""
    if _is_empty(hours):
        return EMPTY
    return env._("%(hours)s h", hours=format_number(env, hours, sign=sign))


def format_percent(env, value, sign=False):
    """A rate (0-100) as "85.3%", EMPTY when empty."""
    if _is_empty(value):
        return EMPTY
    return f"{format_number(env, value, sign=sign)}%"
