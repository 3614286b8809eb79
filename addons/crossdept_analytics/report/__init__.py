from . import crossdept_analytics_step
from . import crossdept_analytics_ticket
from . import crossdept_analytics_kpi_month
from . import crossdept_step_bottleneck
from . import crossdept_process_variant
from . import crossdept_process_rework
from . import crossdept_process_pingpong
