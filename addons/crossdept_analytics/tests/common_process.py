from datetime import datetime

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase


class CrossdeptProcessCase(CrossdeptFlowCase):
    """Flow cases plus two more departments and a helper that builds finished
    tickets with a known history."""

    START = datetime(2024, 3, 4, 8, 0)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Department = cls.env["hr.department"]
        cls.dept_legal = Department.create({"name": "Legal (test)"})
        cls.dept_board = Department.create({"name": "Board (test)"})

    @classmethod
    def _history(cls, flow, histories):
        return cls.env["crossdept.process.history"]._create_history(flow, histories)

    @classmethod
    def _serial(cls, durations, offset=0, **extra):
        """A history through steps in a row: durations are (step, wait h, work h,
        outcome, users)."""
        passes, clock = [], offset
        for name, wait, work, outcome, users in durations:
            passes.append((name, clock, clock + wait, clock + wait + work, outcome, users))
            clock += wait + work
        return {"start": cls.START, "passes": passes, **extra}
