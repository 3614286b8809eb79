import re
from contextlib import contextmanager

# Odoo's words for the operations in its access-rights message (ir.model.access)
_ACCESS_VERBS = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


@contextmanager
def refused(case, exception, pattern):
    """Expect ``exception`` with a message matching ``pattern``, the way Odoo's
    assertRaises does it: in a savepoint, so that what the refused call wrote
    before failing (a constraint fails after the write) is undone."""
    with case.assertRaises(exception) as caught:
        yield caught
    case.assertRegex(str(caught.exception), pattern)


def acl_refusal(operation, model):
    """The message of Odoo's access rights refusing ``operation`` on ``model``: the
    user's groups may not do it to any record of the model."""
    return (
        rf"You are not allowed to {_ACCESS_VERBS[operation]} '[^']+' "
        rf"\({re.escape(model)}\) records"
    )


def rule_refusal(operation, model):
    """The message of Odoo's record rules refusing ``operation`` on records of
    ``model``: the user's groups may, but not on these records (the list names the
    model with or without the records, as debug mode shows them)."""
    return rf"doesn't have '{operation}' access to:\n- [^\n]*\({re.escape(model)}\b"


def field_refusal(field, model):
    """The message of Odoo refusing a field the user's groups may not access."""
    return (
        rf"You do not have enough rights to access the fields \"[^\"]*\b{re.escape(field)}\b"
        rf"[^\"]*\" on [^\n]*\({re.escape(model)}\)"
    )
