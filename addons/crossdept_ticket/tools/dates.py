"""Business dates: a deadline or a schedule before 2000 or after 2100 is a typing
error (year 54 for 2054, 166 for 2026...), refused wherever it enters."""

from datetime import date, datetime

from odoo.exceptions import ValidationError

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


def is_business_date(value):
    if not value:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX


def check_business_date(env, record, field_name):
    """Raise a ValidationError naming the field when its value is out of range."""
    value = record[field_name]
    if is_business_date(value):
        return
    raise ValidationError(
        env._(
            "%(field)s of %(record)s is %(value)s: dates must lie between %(min)s and %(max)s.",
            field=record._fields[field_name]._description_string(env),
            record=record.display_name,
            value=value,
            min=DATE_MIN.isoformat(),
            max=DATE_MAX.isoformat(),
        )
    )
