from . import test_ticket_state
from . import test_ticket_raci
from . import test_ticket_event
from . import test_ticket_access
from . import test_ticket_create_batch
from . import test_ticket_portal
from . import test_ticket_tour
