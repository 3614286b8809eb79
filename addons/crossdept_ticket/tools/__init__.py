from . import calendar
from . import dispatch
from . import graph
