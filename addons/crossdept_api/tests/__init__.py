from . import test_api_auth
from . import test_api_comments
from . import test_api_hostile_input
from . import test_api_tickets
from . import test_openapi
from . import test_rpc
from . import test_translation
from . import test_webhook
