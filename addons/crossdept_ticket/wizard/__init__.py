from . import crossdept_ticket_transfer
