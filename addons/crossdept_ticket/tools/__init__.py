from . import approval
from . import dates
from . import graph
