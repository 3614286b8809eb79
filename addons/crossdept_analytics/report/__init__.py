from . import crossdept_analytics_step
from . import crossdept_analytics_ticket
from . import crossdept_analytics_kpi_month
from . import crossdept_process_review_report
from . import crossdept_analytics_scoreboard
