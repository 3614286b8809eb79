from . import crm_lead
from . import crossdept_ticket
from . import res_partner
