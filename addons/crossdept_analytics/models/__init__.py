from . import crossdept_flow
from . import crossdept_ticket
from . import crossdept_process_history
from . import crossdept_approval_recommendation
from . import crossdept_pilot
