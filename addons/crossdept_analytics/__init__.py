from . import controllers
from . import models
from . import report
from . import wizard


def uninstall_hook(env):
    """The reporting schema is no model's table: drop it with its views."""
    env["crossdept.reporting.schema"]._drop_schema()
