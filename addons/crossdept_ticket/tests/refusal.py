from contextlib import contextmanager


@contextmanager
def refused(case, exception, pattern):
    """Expect ``exception`` with a message matching ``pattern``, the way Odoo's
    assertRaises does it: in a savepoint, so that what the refused call wrote
    before failing (a constraint fails after the write) is undone."""
    with case.assertRaises(exception) as caught:
        yield caught
    case.assertRegex(str(caught.exception), pattern)
