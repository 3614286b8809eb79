import base64
import itertools

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import USER

# each person in both languages on both screens: the four pairs
LANGS = ("en_US", "zh_CN")
SIZES = ("1366x768", "390x844")
RUNS = tuple(itertools.product(LANGS, SIZES))
DETAILS = "40 height-adjustable desks for the sales floor"


def titled(what, lang, size):
    """A record's title for one run, as the tours build it (crossdept_person_tours.js)."""
    return f"{what} [{lang} {size.split('x')[0]}]"


@tagged("post_install", "-at_install")
class TestPersonTours(HttpCase):
    """Issue 20's everyday screens, one tour per person (clerk, step holder, approver,
    portal customer), each run in English and Chinese, at 1366x768 and at 390x844
    (RUNS), on records of its own; the test checks what each run left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["crossdept_ticket"], ["zh_CN"], overwrite=True
        )
        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales (tour)"})
        cls.it = Department.create({"name": "IT (tour)"})
        cls.management = Department.create({"name": "Management (tour)"})
        cls.clerk = cls._user("tour_clerk", "Tour Clerk", cls.sales)
        cls.engineer = cls._user("tour_engineer", "Tour Engineer", cls.it)
        cls.lead = cls._user("tour_lead", "Tour Lead", cls.management)
        cls.approver = cls._user("tour_approver", "Tour Approver", cls.management)
        cls.offer_type = cls.env["crossdept.ticket.type"].create(
            {"name": "Offer request (tour)", "sequence": 1}
        )
        cls.repair_type = cls.env["crossdept.ticket.type"].create(
            {"name": "Repair request (tour)", "sequence": 2}
        )
        # the offer's feasibility goes to the engineer by name, with a team lead's
        # approval before the manager's
        cls.offer_flow = cls._flow(
            "TOURPERSON", cls.offer_type, {"assignment": "raci", **cls._responsible(cls.engineer)}
        )
        cls.lead_approval = cls.env["crossdept.flow.step"].create(
            {
                "flow_id": cls.offer_flow.id,
                "sequence": 15,
                "name": "Team lead approval",
                "kind": "approval",
                "department_id": cls.management.id,
                "predecessor_ids": [Command.set(cls._flow_step("Technical feasibility").ids)],
                **cls._responsible(cls.lead),
            }
        )
        cls._flow_step("Management approval").write(
            {"predecessor_ids": [Command.set(cls.lead_approval.ids)]}
        )
        cls.offer_flow.action_activate()
        # the repair's feasibility is dispatched in IT, where nobody has the skill it
        # needs and there is no manager: it waits in the department queue
        skill_type = cls.env["hr.skill.type"].create(
            {
                "name": "Presses (tour)",
                "skill_ids": [Command.create({"name": "Hydraulics"})],
                "skill_level_ids": [Command.create({"name": "Expert", "level_progress": 100})],
            }
        )
        requirement = {
            "skill_type_id": skill_type.id,
            "skill_id": skill_type.skill_ids.id,
            "level_id": skill_type.skill_level_ids.id,
        }
        cls.repair_flow = cls._flow(
            "TOURREPAIR",
            cls.repair_type,
            {"assignment": "auto", "skill_requirement_ids": [Command.create(requirement)]},
        )
        cls.repair_flow.action_activate()
        # the customer's type: one step they see, answered within 4 working hours
        cls.portal_type = cls.env["crossdept.ticket.type"].create(
            {"name": "Printer repair (tour)", "portal_available": True}
        )
        portal_flow = cls.env["crossdept.flow"].create(
            {
                "name": "Printer flow (tour)",
                "code": "TOURPRINTER",
                "type_ids": [Command.set(cls.portal_type.ids)],
            }
        )
        cls.env["crossdept.flow.step"].create(
            {
                "flow_id": portal_flow.id,
                "name": "Diagnose the printer",
                "department_id": cls.it.id,
                "sla_hours": 4,
                "portal_visible": True,
                "assignment": "raci",
                **cls._responsible(cls.engineer),
            }
        )
        portal_flow.action_activate()
        cls.customer_partner = cls.env["res.partner"].create(
            {"name": "Wang Lei (tour)", "email": "wang.lei.tour@example.com", "tz": "UTC"}
        )
        cls.customer = new_test_user(
            cls.env,
            "tour_customer",
            groups="base.group_portal",
            partner_id=cls.customer_partner.id,
        )

    @classmethod
    def _flow_step(cls, name):
        return cls.offer_flow.step_ids.filtered(lambda step: step.name == name)

    @classmethod
    def _user(cls, login, name, department):
        user = new_test_user(cls.env, login, groups=USER, name=name, tz="UTC")
        cls.env["hr.employee"].create(
            {"name": name, "user_id": user.id, "department_id": department.id}
        )
        return user

    @staticmethod
    def _responsible(user):
        return {
            "raci_ids": [
                Command.create({"role": "responsible", "holder_type": "user", "user_id": user.id})
            ]
        }

    @classmethod
    def _flow(cls, code, ticket_type, feasibility):
        """The requester's own step, a feasibility with an amount to give and a box
        to tick, and the manager's approval, whose refusal returns to the feasibility."""
        flow = cls.env["crossdept.flow"].create(
            {"name": f"{code} (tour)", "code": code, "type_ids": [Command.set(ticket_type.ids)]}
        )
        FlowStep = cls.env["crossdept.flow.step"]
        request = FlowStep.create(
            {
                "flow_id": flow.id,
                "sequence": 5,
                "name": "Submit the request",
                "department_id": cls.sales.id,
                "assignment": "raci",
                "raci_ids": [Command.create({"role": "responsible", "holder_type": "requester"})],
            }
        )
        feasibility = FlowStep.create(
            {
                "flow_id": flow.id,
                "sequence": 10,
                "name": "Technical feasibility",
                "department_id": cls.it.id,
                "predecessor_ids": [Command.set(request.ids)],
                "deliverable_ids": [
                    Command.create({"name": "Feasibility assessment", "sequence": 1}),
                    Command.create(
                        {"name": "Estimated cost", "sequence": 2, "value_type": "amount"}
                    ),
                ],
                **feasibility,
            }
        )
        FlowStep.create(
            {
                "flow_id": flow.id,
                "sequence": 20,
                "name": "Management approval",
                "kind": "approval",
                "department_id": cls.management.id,
                "predecessor_ids": [Command.set(feasibility.ids)],
                "reject_action": "return",
                "reject_return_step_id": feasibility.id,
                **cls._responsible(cls.approver),
            }
        )
        return flow

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _each_run(self, users, run):
        """``run(lang, size)`` for each of RUNS, ``users`` reading in that language."""
        for lang, size in RUNS:
            users.lang = lang
            with self.subTest(lang=lang, size=size):
                self.browser_size = size
                run(lang, size)

    def _submitted(self, title, ticket_type):
        ticket = (
            self.env["crossdept.ticket"]
            .with_user(self.clerk)
            .create({"title": title, "type_id": ticket_type.id, "description": DETAILS})
        )
        ticket.action_submit()
        return ticket.with_user(self.env.user)

    @staticmethod
    def _step(ticket, name):
        return ticket.step_ids.filtered(lambda step: step.name == name)

    def _feasibility_done(self, ticket, take=False):
        step = self._step(ticket, "Technical feasibility").with_user(self.engineer)
        if take:
            step.action_take()
        step.action_start()
        cost = step.deliverable_ids.filtered(lambda line: line.value_type == "amount")
        step.write(
            {
                "deliverable_ids": [
                    Command.update(cost.id, {"value_amount": 800}),
                    Command.update((step.deliverable_ids - cost).id, {"done": True}),
                ]
            }
        )
        step.action_finish()
        return step

    def _refused(self, ticket, reason):
        approval = self._step(ticket, "Management approval").with_user(self.approver)
        approval.action_reject(reason)
        return approval

    # ------------------------------------------------------------------
    # the tours
    # ------------------------------------------------------------------

    def test_clerk(self):
        def run(lang, size):
            refused = self._submitted(titled("Tour: refused chairs", lang, size), self.offer_type)
            self._feasibility_done(refused)
            self._step(refused, "Team lead approval").with_user(self.lead).action_approve()
            self._refused(refused, "Too expensive")
            self.start_tour(
                "/odoo/action-crossdept_ticket.crossdept_ticket_action_my/new",
                "crossdept_person_clerk_tour",
                login="tour_clerk",
            )
            ticket = self.env["crossdept.ticket"].search(
                [("title", "=", titled("Tour: offer for desks", lang, size))]
            )
            self.assertEqual(ticket.requester_id, self.clerk)
            self.assertEqual(self._step(ticket, "Submit the request").state, "done")
            feasibility = self._step(ticket, "Technical feasibility")
            self.assertEqual(
                (ticket.state, ticket.user_id, ticket.assigned_department_id),
                ("in_progress", self.engineer, self.it),
            )
            self.assertEqual(ticket.date_deadline, feasibility.date_deadline)

        self._each_run(self.clerk, run)

    def test_step_holder(self):
        def run(lang, size):
            returned = self._submitted(titled("Tour: returned press", lang, size), self.repair_type)
            self._feasibility_done(returned, take=True)
            self._refused(returned, "Quote the spare parts too")
            ticket = self._submitted(titled("Tour: repair the press", lang, size), self.repair_type)
            step = self._step(ticket, "Technical feasibility")
            self.assertFalse(step.user_id, "queued")
            todo = self.env["mail.activity"].search(
                [("crossdept_step_id", "=", step.id), ("user_id", "=", self.engineer.id)]
            )
            self.assertIn(self.it.name, todo.summary, "the queue's to-do names the department")
            self.start_tour(
                "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_queue",
                "crossdept_person_holder_tour",
                login="tour_engineer",
            )
            self.assertEqual((step.state, step.user_id), ("done", self.engineer))
            cost = step.deliverable_ids.filtered(lambda line: line.value_type == "amount")
            self.assertEqual((cost.value_amount, cost.filled_by_id), (1250, self.engineer))
            self.assertEqual(step.deliverable_ids.mapped("done"), [True, True])
            self.assertEqual(ticket.user_id, self.approver)

        self._each_run(self.engineer, run)

    def test_approver(self):
        def waiting(what, lang, size):
            ticket = self._submitted(titled(what, lang, size), self.offer_type)
            self.env["ir.attachment"].with_user(self.clerk).create(
                {
                    "name": "offer.pdf",
                    "datas": base64.b64encode(b"%PDF offer"),
                    "res_model": "crossdept.ticket",
                    "res_id": ticket.id,
                }
            )
            self._feasibility_done(ticket)
            lead = self._step(ticket, "Team lead approval").with_user(self.lead)
            lead.action_approve(comment="Within the yearly budget")
            return self._step(ticket, "Management approval")

        def run(lang, size):
            approve = waiting("Tour: approve the desks", lang, size)
            refuse = waiting("Tour: refuse the chairs", lang, size)
            self.start_tour(
                "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
                "crossdept_person_approver_tour",
                login="tour_approver",
            )
            self.assertEqual(approve.approval_state, "approved")
            self.assertEqual(
                approve.decision_ids.mapped("reason"), ["Go ahead with the cheaper model"]
            )
            self.assertEqual(approve.ticket_id.state, "done")
            # the refusal returned the work: its decision is archived with the round,
            # its event stays
            refused = refuse.ticket_id.event_ids.filtered(lambda e: e.event_type == "step_reject")
            self.assertEqual(
                (refused.actor_id, refused.step_id, refused.reason),
                (self.approver, refuse, "Ask two more suppliers"),
            )
            feasibility = self._step(refuse.ticket_id, "Technical feasibility")
            self.assertEqual((feasibility.state, feasibility.user_id), ("ready", self.engineer))

        self._each_run(self.approver, run)

    def test_portal_customer(self):
        seen = self.env["crossdept.ticket"].search([])

        def run(lang, size):
            nonlocal seen
            self.start_tour("/my/tickets", "crossdept_person_portal_tour", login="tour_customer")
            ticket = self.env["crossdept.ticket"].search([("id", "not in", seen.ids)])
            self.assertEqual(ticket.partner_id, self.customer_partner)
            self.assertEqual(ticket.type_id, self.portal_type)
            self.assertEqual(self._step(ticket, "Diagnose the printer").state, "ready")
            seen |= ticket

        self._each_run(self.customer, run)
