from . import test_purchase_access
from . import test_purchase_approval
from . import test_purchase_settings
from . import test_purchase_tour
from . import test_translation
from . import test_purchase_gate
from . import test_purchase_guard
from . import test_purchase_urge
