from . import crossdept_process_review_wizard
