"""Dates as the person they are written for reads them: in their time zone and in
their language, the zone named (a message is read far from where it was posted)."""

import pytz

from odoo.tools.misc import format_datetime


def reader_tz(partner):
    """The time zone of ``partner`` (a contact or a user), UTC when they have none."""
    return (partner and partner.tz) or "UTC"


def format_for_reader(env, value, partner, lang=None):
    """``value`` (a naive UTC datetime, as stored) written for ``partner``: in their
    time zone and language (or ``lang``, the language of a text written for several
    people), followed by the zone, e.g. "2026年12月08日 01时00分00秒 (Asia/Shanghai)";
    "-" without a value."""
    if not value:
        return "-"
    tz = reader_tz(partner)
    lang = lang or (partner and partner.lang) or env.lang
    # a batch (the escalation cron) writes the same deadline for many readers: each
    # text is made once per cursor (Babel takes most of a millisecond for it)
    texts = env.cr.cache.setdefault("crossdept.format_for_reader", {})
    key = (value, tz, lang)
    if key not in texts:
        # dt_format=False: the date and time formats of the reader's language
        texts[key] = f"{format_datetime(env, value, tz=tz, dt_format=False, lang_code=lang)} ({tz})"
    return texts[key]


def local_date(value, partner):
    """The day ``value`` (a naive UTC datetime) falls on for ``partner``."""
    return pytz.utc.localize(value).astimezone(pytz.timezone(reader_tz(partner))).date()
