from . import crossdept_analytics_step
from . import crossdept_analytics_ticket
from . import crossdept_analytics_kpi_month
