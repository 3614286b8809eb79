from . import test_access
from . import test_crm_tour
from . import test_customer_history
from . import test_lead_milestones
from . import test_smart_buttons
from . import test_ticket_from_lead
from . import test_translation
from . import test_demo_data
