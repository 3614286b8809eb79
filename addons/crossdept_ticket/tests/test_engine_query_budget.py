from freezegun import freeze_time

from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


# a Monday within the calendar's working hours: the steps' deadlines and working hours
# are planned the same way whenever the tests run
@freeze_time("2026-11-23 09:00:00")
@tagged("post_install", "-at_install")
class TestEngineQueryBudget(CrossdeptFlowCase):
    """The queries of one ticket's moves as the people who make them, on the load
    test's flow (bench/load_client.py): Intake, then Review A and Review B side by
    side, an approval by 2 of 3 approvers, then Close. Each move is measured on a
    second ticket, once the first one warmed the caches."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Intake"},
                {"name": "Review A", "preds": ["Intake"]},
                {"name": "Review B", "preds": ["Intake"]},
                {
                    "name": "Approval",
                    "kind": "approval",
                    "preds": ["Review A", "Review B"],
                    "approvers": cls.approver_1 | cls.approver_2 | cls.approver_3,
                    "approval_policy": "count",
                    "approval_min_count": 2,
                },
                {"name": "Close", "preds": ["Approval"]},
            ]
        )

    def _create(self):
        ticket = (
            self.env["crossdept.ticket"]
            .with_user(self.it_user)
            .create(
                {
                    "title": "Budget",
                    "type_id": self.ticket_type.id,
                    "flow_id": self.flow.id,
                    "department_id": self.dept_it.id,
                    "assigned_department_id": self.dept_it.id,
                }
            )
        )
        ticket.action_start_flow()
        return ticket

    def _move(self, ticket, name, action, user):
        """``action`` of the step ``name`` as ``user``, called by id as a client does."""
        step_id = self._step(ticket.sudo(), name).id
        self.env.invalidate_all()
        getattr(self.env["crossdept.ticket.step"].with_user(user).browse(step_id), action)()

    def _todos(self, ticket, name):
        step = self._step(ticket, name)
        return self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)])

    def _to_approval(self, ticket):
        for name in ("Intake", "Review A", "Review B"):
            self._move(ticket, name, "action_finish", self.it_user)

    def test_create_with_flow_start_as_the_requester(self):
        self._create()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(default=CREATE_BUDGET):
            ticket = self._create()
        self.assertEqual(
            self._states(ticket),
            {
                "Intake": "ready",
                "Review A": "pending",
                "Review B": "pending",
                "Approval": "pending",
                "Close": "pending",
            },
        )
        self.assertEqual(ticket.user_id, self.it_user)

    def test_start_and_finish_as_the_holder(self):
        warm = self._create()
        self._move(warm, "Intake", "action_start", self.it_user)
        self._move(warm, "Intake", "action_finish", self.it_user)
        ticket = self._create()
        self.env.flush_all()
        with self.assertQueryCount(default=START_BUDGET):
            self._move(ticket, "Intake", "action_start", self.it_user)
        with self.assertQueryCount(default=FINISH_BUDGET):
            self._move(ticket, "Intake", "action_finish", self.it_user)
        self.assertEqual(
            [self._states(ticket)[name] for name in ("Intake", "Review A", "Review B")],
            ["done", "ready", "ready"],
        )
        self.assertFalse(self._todos(ticket, "Intake"), "the holder's to-do is closed")
        todo = self._todos(ticket, "Review A")
        self.assertEqual(todo.user_id, self.it_user)
        # the values Odoo computes for a to-do, given at its creation
        self.assertEqual(
            (todo.res_name, todo.user_tz, todo.date_done),
            (ticket.display_name, self.it_user.tz, False),
        )

    def test_approvals_as_the_approvers(self):
        warm = self._create()
        self._to_approval(warm)
        self._move(warm, "Approval", "action_approve", self.approver_1)
        self._move(warm, "Approval", "action_approve", self.approver_2)
        ticket = self._create()
        self._to_approval(ticket)
        self.env.flush_all()
        with self.assertQueryCount(default=FIRST_APPROVAL_BUDGET):
            self._move(ticket, "Approval", "action_approve", self.approver_1)
        approval = self._step(ticket, "Approval")
        self.assertEqual(approval.state, "in_progress", "2 of 3: one more approval")
        self.assertEqual(
            self._todos(ticket, "Approval").user_id,
            self.approver_2 | self.approver_3,
            "the approver's to-do is done, the others wait",
        )
        with self.assertQueryCount(default=SECOND_APPROVAL_BUDGET):
            self._move(ticket, "Approval", "action_approve", self.approver_2)
        self.assertEqual(approval.state, "done")
        self.assertFalse(self._todos(ticket, "Approval"))
        self.assertEqual(self._step(ticket, "Close").state, "ready")


# measured on the shared test database (demo data): the ticket, its RACI lines, the
# creation message and followers, the flow's five steps and their links, the first
# step made ready (deadline on the calendar, escalation, to-do) and the events; the
# steps' stored computed fields given at their creation, the to-do and the events
# in one INSERT each
CREATE_BUDGET = 71
# the step's tickets locked by the step's id (the step read once, after the lock),
# and the record rules' first check of a request in one query (write: in SQL; read:
# the ticket's participants, step holders and CC read together)
START_BUDGET = 8
# a finish posts one message, which also records the holder's to-do as done (no
# second message of Odoo's "mark as done"), whose e-mails wait in the mail queue;
# the step's to-dos go in one unlink; the step's calendar and its holder's own
# calendar are read together
FINISH_BUDGET = 55
# the new decision joins the step's cached decisions (not read again); the start of
# the ready step and the approval are logged in one insert
FIRST_APPROVAL_BUDGET = 41
# as a finish, and the requester's e-mail queued, not sent during the request (the
# mail queue's cron woken once per transaction: 3 to 4 queries); the next step's
# to-do and events in one INSERT each
SECOND_APPROVAL_BUDGET = 81
