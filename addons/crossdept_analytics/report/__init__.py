from . import crossdept_step_bottleneck
from . import crossdept_process_variant
from . import crossdept_process_rework
from . import crossdept_process_pingpong
