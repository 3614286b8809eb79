from . import portal
from . import flow
