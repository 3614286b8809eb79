from . import crossdept_step_bottleneck
