from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common_flow import CrossdeptFlowCase
from .refusal import refused

# the test calendar works Mon-Fri 8-12, 13-17 UTC: an 8-hour step ready on Monday
# 8:00 is due at 17:00; warned at 50% of the span at 12:30, at 25% at 10:15
READY = "2026-11-23 08:00:00"


@tagged("post_install", "-at_install")
class TestEscalationCompany(CrossdeptFlowCase):
    """A rule of one company never escalates the steps of another company's tickets,
    even on a flow both companies share."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crossdept.escalation.rule"].search([]).active = False
        cls.company_b = cls.env["res.company"].create({"name": "Company B (test)"})
        cls.flow, _steps = cls._make_flow([{"name": "Fix"}])  # shared: no company
        # rules are configured by a CrossDept administrator working in both companies
        cls.admin = new_test_user(
            cls.env,
            "flow_admin",
            groups="crossdept_ticket.group_crossdept_ticket_admin",
            company_ids=[(6, 0, (cls.company | cls.company_b).ids)],
        )
        Rule = (
            cls.env["crossdept.escalation.rule"]
            .with_user(cls.admin)
            .with_context(allowed_company_ids=(cls.company | cls.company_b).ids)
        )
        cls.Rule = Rule
        cls.shared_rule = Rule.create({"name": "Shared (test)", "warn_percent": 80})
        cls.rule_a = Rule.create(
            {
                "name": "Company A flow rule (test)",
                "company_id": cls.company.id,
                "flow_id": cls.flow.id,
                "warn_percent": 50,
            }
        )

    def _start(self, company):
        with freeze_time(READY):
            ticket = self._make_ticket(
                flow_id=self.flow.id,
                company_id=company.id,
                department_id=False,
                assigned_department_id=False,
            )
            ticket.action_start_flow()
        return ticket.step_ids

    def test_rules_apply_to_their_company_only(self):
        step_a, step_b = self._start(self.company), self._start(self.company_b)
        Rule = self.Rule
        rules = Rule._rules_by_scope()
        self.assertEqual(Rule._rule_for(step_a, rules), self.rule_a)
        self.assertEqual(Rule._rule_for(step_b, rules), self.shared_rule)
        self.assertEqual(step_a.date_escalation_due, datetime(2026, 11, 23, 12, 30))
        self.assertEqual(step_b.date_escalation_due, datetime(2026, 11, 23, 15, 12))
        # company B's own rule of the step, then of its flow, beat the shared rule;
        # company A keeps its own
        rule_b = Rule.create(
            {
                "name": "Company B step rule (test)",
                "company_id": self.company_b.id,
                "flow_id": self.flow.id,
                "flow_step_id": self.flow.step_ids.id,
                "warn_percent": 25,
            }
        )
        self.assertEqual(step_b.date_escalation_due, datetime(2026, 11, 23, 10, 15))
        self.assertEqual(step_a.date_escalation_due, datetime(2026, 11, 23, 12, 30))
        rules = Rule._rules_by_scope()
        self.assertEqual(Rule._rule_for(step_b, rules), rule_b)
        self.assertEqual(Rule._rule_for(step_a, rules), self.rule_a)

    def test_a_company_rule_beats_a_shared_rule_of_the_same_scope(self):
        Rule = self.Rule
        shared_flow_rule = Rule.create(
            {"name": "Shared flow rule (test)", "flow_id": self.flow.id, "warn_percent": 90}
        )
        step_a, step_b = self._start(self.company), self._start(self.company_b)
        rules = Rule._rules_by_scope()
        self.assertEqual(Rule._rule_for(step_a, rules), self.rule_a)
        self.assertEqual(Rule._rule_for(step_b, rules), shared_flow_rule)

    def test_rule_of_another_company_is_ignored_by_the_cron(self):
        self.shared_rule.active = False
        step_b = self._start(self.company_b)
        self.assertFalse(step_b.date_escalation_due, "no rule of company B, none shared")
        with freeze_time("2026-11-23 18:00:00"):
            self.env["crossdept.ticket.step"]._cron_escalate()
        self.assertEqual(step_b.escalation_level, "0")
        self.assertFalse(
            step_b.ticket_id.event_ids.filtered(lambda event: event.event_type == "escalation")
        )

    def test_rule_flow_and_company_must_agree(self):
        flow_b, _steps = self._make_flow([{"name": "Audit"}], company_id=self.company_b.id)
        with refused(self, UserError, "(?s)Incompatible companies on records.*flow_id"):
            self.Rule.create(
                {"name": "Wrong company", "company_id": self.company.id, "flow_id": flow_b.id}
            )
        with refused(
            self, ValidationError, "Escalation rule Wrong step: step Fix is not a step of flow"
        ):
            self.Rule.create(
                {
                    "name": "Wrong step",
                    "flow_id": flow_b.id,
                    "flow_step_id": self.flow.step_ids.id,
                    "company_id": self.company_b.id,
                }
            )
