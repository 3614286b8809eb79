from . import crossdept_webhook_event_type
from . import crossdept_webhook
from . import crossdept_webhook_delivery
from . import crossdept_ticket
from . import crossdept_ticket_event
from . import crossdept_ticket_step
from . import crossdept_ticket_step_deliverable
from . import ir_http
