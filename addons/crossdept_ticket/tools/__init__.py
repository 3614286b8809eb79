from . import approval
from . import bpmn_export
from . import calendar
from . import dates
from . import dispatch
from . import graph
from . import local_time
