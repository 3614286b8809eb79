from itertools import count

from freezegun import freeze_time

from odoo import Command

from .common import USER, CrossdeptTicketCase

_codes = count(1)


class CrossdeptFlowCase(CrossdeptTicketCase):
    """Adds a UTC working calendar (Mon-Fri 8-12, 13-17), three approvers, a
    helper that builds flows from short step specifications and helpers that walk
    a ticket's steps as the person who acts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create({"name": "UTC 40h (test)", "tz": "UTC"})
        cls.approver_1 = cls._make_user("approver_1", USER, cls.dept_finance)
        cls.approver_2 = cls._make_user("approver_2", USER, cls.dept_finance)
        cls.approver_3 = cls._make_user("approver_3", USER, cls.dept_finance)

    @classmethod
    def _make_flow(cls, specs, activate=True, **vals):
        """specs: dicts with name and optionally kind, preds (names), user (the
        Responsible), approvers (users), sla, and any flow step field."""
        Step = cls.env["crossdept.flow.step"]
        flow = cls.env["crossdept.flow"].create(
            {
                "name": "Test flow",
                "code": f"TEST{next(_codes)}",
                "type_ids": [Command.set(cls.ticket_type.ids)],
                **vals,
            }
        )
        steps = {}
        for sequence, spec in enumerate(specs):
            spec = dict(spec)
            name = spec.pop("name")
            holders = spec.pop("approvers", None) or spec.pop("user", cls.it_user)
            preds = spec.pop("preds", [])
            steps[name] = Step.create(
                {
                    "flow_id": flow.id,
                    "name": name,
                    "sequence": sequence,
                    "department_id": cls.dept_it.id,
                    "calendar_id": cls.calendar.id,
                    "sla_hours": spec.pop("sla", 8),
                    "assignment": spec.pop("assignment", "raci"),
                    "predecessor_ids": [Command.set([steps[p].id for p in preds])],
                    "raci_ids": [
                        Command.create(
                            {"role": "responsible", "holder_type": "user", "user_id": u.id}
                        )
                        for u in holders
                    ],
                    **spec,
                }
            )
        if activate:
            flow.action_activate()
        return flow, steps

    @classmethod
    def _run(cls, flow=None, **vals):
        ticket = cls._make_ticket(flow_id=flow.id if flow else False, **vals)
        ticket.action_start_flow()
        return ticket

    @staticmethod
    def _step(ticket, name):
        return ticket.step_ids.filtered(lambda step: step.name == name)

    @staticmethod
    def _states(ticket):
        return {step.name: step.state for step in ticket.step_ids}

    def _do(self, ticket, name, user=None):
        step = self._step(ticket, name).with_user(user or self.it_user)
        step.action_start()
        step.action_finish()

    @classmethod
    def _work(cls, ticket, name, start, finish, user=None):
        """The step's Responsible starts it at ``start`` and finishes it at
        ``finish`` (under a frozen clock)."""
        step = cls._step(ticket, name).with_user(user or cls.it_user)
        with freeze_time(start):
            step.action_start()
        with freeze_time(finish):
            step.action_finish()
