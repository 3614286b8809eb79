from . import test_analytics_kpi
from . import test_dashboard_tour
from . import test_health
from . import test_history
from . import test_process_review
from . import test_recognition
from . import test_translation
