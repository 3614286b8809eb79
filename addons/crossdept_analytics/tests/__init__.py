from . import test_analytics_kpi
from . import test_health
from . import test_history
from . import test_bottleneck
from . import test_approval_recommendation
from . import test_pilot
from . import test_pilot_statistics
from . import test_process_mining
