from . import crossdept_ticket_transfer
from . import crossdept_ticket_step_reject
from . import crossdept_ticket_step_transfer
from . import crossdept_ticket_step_approver
from . import crossdept_ticket_step_hand_over
from . import crossdept_ticket_step_approve
from . import crossdept_ticket_withdraw
from . import crossdept_flow_bpmn_import
