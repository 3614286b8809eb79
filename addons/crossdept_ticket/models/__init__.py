from . import crossdept_ticket_type
from . import crossdept_ticket_tag
from . import crossdept_ticket_event
from . import crossdept_ticket_raci
from . import crossdept_ticket
from . import ir_sequence
