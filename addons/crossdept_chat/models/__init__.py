from . import (
    crossdept_chat_channel,
    crossdept_chat_message,
    crossdept_chat_nonce,
    crossdept_chat_route,
    crossdept_ticket_event,
    hr_employee,
)
