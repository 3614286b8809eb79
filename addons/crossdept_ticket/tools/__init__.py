from . import calendar
from . import graph
