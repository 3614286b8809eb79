from . import crossdept_ticket
from . import purchase_order
from . import purchase_order_urge
from . import purchase_order_change
from . import res_company
from . import res_config_settings
from . import purchase_order_line
