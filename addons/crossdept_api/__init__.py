from . import controllers
from . import models
from . import outage


def post_load():
    """Answer 503 and keep the cron worker alive while the database is away; the
    addon belongs in server_wide_modules for this to hold in every worker (outage.py)."""
    outage.install()
