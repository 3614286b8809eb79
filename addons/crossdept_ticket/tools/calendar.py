"""Plain functions over working calendars.

Datetimes in and out are naive UTC, as Odoo stores them. ``calendar`` is a
``resource.calendar`` record, or an empty one for "no calendar": then every hour is
working time (wall clock). ``resource`` is a ``resource.resource`` record, or an empty
one for the calendar's own hours. Working time is the calendar's attendances, in the
resource's time zone, minus public holidays (calendar leaves without a resource) and
minus the resource's own leaves.

Callers pass records they may read; CrossDept passes them with sudo, since calendars and
leaves are HR data that the people working on tickets may not read themselves.
"""

from datetime import timedelta

from pytz import utc

# planning walks the calendar in windows that double from two weeks up to a year
FIRST_WINDOW = timedelta(days=14)
LONGEST_WINDOW = timedelta(days=364)
# a plan that finds no working time within this span has no deadline
PLAN_LIMIT = timedelta(days=4 * 365)
# someone is working "now" when they work during the coming minute
PRESENCE_SPAN = timedelta(minutes=1)

# presence codes, see presence()
WORKING = "working"
ON_LEAVE = "leave"
HOLIDAY = "holiday"
OFF_HOURS = "off_hours"


def _aware(dt):
    return dt if dt.tzinfo else utc.localize(dt)


def _naive(dt):
    """Naive UTC, rounded to the second (the precision Odoo stores)."""
    dt = dt.astimezone(utc).replace(tzinfo=None)
    if dt.microsecond >= 500_000:
        dt += timedelta(seconds=1)
    return dt.replace(microsecond=0)


def work_intervals(calendar, start, end, resources):
    """{resource id: [(start, stop), ...]} working time within [start, end) of each of
    ``resources``, as aware UTC datetimes; the key ``False`` holds the calendar's own
    hours with public holidays only."""
    start, end = _aware(start), _aware(end)
    ids = [False, *resources.ids]
    if end <= start:
        return {rid: [] for rid in ids}
    if not calendar:
        return {rid: [(start, end)] for rid in ids}
    # the calendar and the resources' own calendars (Odoo reads both) in one read
    (calendar | resources.calendar_id).mapped("tz")
    batch = calendar._work_intervals_batch(start, end, resources=resources)
    return {
        rid: [(a.astimezone(utc), b.astimezone(utc)) for a, b, _meta in batch[rid] if b > a]
        for rid in ids
    }


def work_hours_batch(calendar, start, end, resources):
    """{resource id: working hours between start and end}; ``False`` for the calendar."""
    return {
        rid: sum(((b - a) for a, b in intervals), timedelta()).total_seconds() / 3600
        for rid, intervals in work_intervals(calendar, start, end, resources).items()
    }


def work_hours_until_batch(calendar, start, requests):
    """{key: working hours between ``start`` and that key's end}, for ``requests``
    mapping keys to ``(resource, end)``; the calendar is read once, up to the last end."""
    ends = [end for _resource, end in requests.values() if end > start]
    if not ends:
        return dict.fromkeys(requests, 0.0)
    resources = calendar.env["resource.resource"].union(*(res for res, _end in requests.values()))
    intervals = work_intervals(calendar, start, max(ends), resources)
    result = {}
    for key, (resource, end) in requests.items():
        end = _aware(end)
        total = sum(((min(b, end) - a) for a, b in intervals[resource.id] if a < end), timedelta())
        result[key] = total.total_seconds() / 3600
    return result


def work_hours(calendar, start, end, resource=None):
    """Working hours between two datetimes, for ``resource`` if given."""
    resources = resource or calendar.env["resource.resource"]
    return work_hours_batch(calendar, start, end, resources)[resources.id]


def plan_hours_batch(calendar, start, requests):
    """Plan several amounts of working hours from the same start on one calendar.

    ``requests`` maps any key to ``(resource, hours)``; returns {key: the moment when
    that many working hours of the resource have passed after ``start``}, or False when
    the calendar has no such working time within four years. Zero hours give the first
    working moment from ``start``. Each window of the calendar is read once for every
    resource of the batch."""
    if not calendar:
        return {key: start + timedelta(hours=hours) for key, (_res, hours) in requests.items()}
    env = calendar.env
    pending = {key: [resource, max(hours, 0.0)] for key, (resource, hours) in requests.items()}
    result = {}
    window_start, window = _aware(start), FIRST_WINDOW
    limit = window_start + PLAN_LIMIT
    while pending and window_start < limit:
        window_end = window_start + window
        resources = env["resource.resource"].union(*(item[0] for item in pending.values()))
        intervals = work_intervals(calendar, window_start, window_end, resources)
        for key, item in list(pending.items()):
            resource, left = item
            for a, b in intervals[resource.id]:
                hours = (b - a).total_seconds() / 3600
                if left <= hours:
                    result[key] = _naive(a + timedelta(hours=left))
                    del pending[key]
                    break
                left -= hours
            else:
                item[1] = left
        window_start, window = window_end, min(window * 2, LONGEST_WINDOW)
    result.update(dict.fromkeys(pending, False))
    return result


def plan_hours(calendar, start, hours, resource=None):
    """The moment when ``hours`` working hours (of ``resource`` if given) have passed
    after ``start``; False when the calendar has no such working time."""
    resource = resource or calendar.env["resource.resource"]
    return plan_hours_batch(calendar, start, {0: (resource, hours)})[0]


def presence(calendar, at, resources):
    """{resource id: WORKING, ON_LEAVE, HOLIDAY or OFF_HOURS} of each resource at the
    moment ``at`` on ``calendar`` (their working calendar). A leave wins over working
    hours; without a calendar people work at any hour, leaves still count."""
    at = _aware(at)
    end = at + PRESENCE_SPAN
    Leave = resources.env["resource.calendar.leaves"]
    if calendar:
        attendances = calendar._attendance_intervals_batch(at, end, resources=resources)
        leaves = calendar._leave_intervals_batch(at, end, resources=resources)
        leaves_of = {
            resource.id: [meta for a, b, meta in leaves[resource.id] if b > a]
            for resource in resources
        }
        working = {
            resource.id: any(b > a for a, b, _meta in attendances[resource.id])
            for resource in resources
        }
    else:
        found = Leave.search(
            [
                ("resource_id", "in", resources.ids),
                ("time_type", "=", "leave"),
                ("date_from", "<", end.replace(tzinfo=None)),
                ("date_to", ">", at.replace(tzinfo=None)),
            ]
        )
        leaves_of = {
            resource.id: found.filtered(lambda leave, r=resource: leave.resource_id == r)
            for resource in resources
        }
        working = dict.fromkeys(resources.ids, True)
    result = {}
    for resource in resources:
        leaves = leaves_of[resource.id]
        if any(leave.resource_id for leave in leaves):
            result[resource.id] = ON_LEAVE
        elif leaves:
            result[resource.id] = HOLIDAY
        elif working[resource.id]:
            result[resource.id] = WORKING
        else:
            result[resource.id] = OFF_HOURS
    return result
