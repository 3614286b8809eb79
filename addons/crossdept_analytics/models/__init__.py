from . import crossdept_analytics_kpi
from . import crossdept_health_rule
from . import crossdept_health_alert
from . import crossdept_analytics_history
from . import crossdept_collaboration_star
