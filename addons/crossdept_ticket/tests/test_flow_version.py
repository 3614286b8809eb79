from odoo import Command
from odoo.tests import new_test_user, tagged

from .common_flow import CrossdeptFlowCase

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"

# Fields a new version does not take from its predecessor, by model, and why. Every
# other stored field of the flow and of the records it owns must be copied: a new
# field fails the comparison below until it is copied or listed here.
NOT_COPIED = {
    "crossdept.flow": {
        "version": "numbered by New Version",
        "previous_version_id": "points to the predecessor",
        "state": "a new version starts as a draft",
        "ticket_ids": "tickets of the predecessor",
        # crossdept_analytics: figures measured on each version's own tickets
        "bottleneck_ids": "measured per version",
        "recommendation_ids": "measured per version",
        # the chatter of each version is its own (e.g. the report of its BPMN import)
        "message_ids": "chatter of the predecessor",
        "message_follower_ids": "chatter of the predecessor",
        "website_message_ids": "chatter of the predecessor",
        "rating_ids": "chatter of the predecessor",
        "designer_revision": "counts the changes of each version's own steps",
        "designer_write_uid": "who last changed each version's own steps",
    },
}
MAGIC = {"id", "create_uid", "create_date", "write_uid", "write_date"}
# fields the fixture leaves empty on purpose
EMPTY_IN_FIXTURE = {("crossdept.skill.requirement", "type_id")}


@tagged("post_install", "-at_install")
class TestFlowVersion(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "flow_admin", groups=ADMIN, name="Flow Admin")
        cls.skill_type = cls.env["hr.skill.type"].create(
            {
                "name": "Machines (test)",
                "skill_ids": [Command.create({"name": "Forklift (test)"})],
                "skill_level_ids": [Command.create({"name": "Licensed", "level_progress": 60})],
            }
        )
        cls.field_partner = cls.env["ir.model.fields"]._get("crossdept.ticket", "partner_id")

    def _rich_flow(self):
        """A flow whose every field, and every field of its steps, lines and
        escalation rules, holds something other than its default."""
        Flow = self.env["crossdept.flow"].with_user(self.admin)
        flow = Flow.create(
            {
                "name": "Everything",
                "code": "RICH",
                "type_ids": [Command.set(self.ticket_type.ids)],
                "domain": "[('priority', '!=', '0')]",
                "description": "<p>All the settings</p>",
                "urge_interval_hours": 6,
                "cc_submit_user_ids": [Command.set(self.finance_user.ids)],
                "cc_submit_department_ids": [Command.set(self.dept_finance.ids)],
                "cc_end_user_ids": [Command.set(self.it_manager.ids)],
                "cc_end_department_ids": [Command.set(self.dept_it.ids)],
                "company_id": self.company.id,
            }
        )
        Step = self.env["crossdept.flow.step"].with_user(self.admin)
        intake = Step.create(
            {
                "flow_id": flow.id,
                "name": "Intake",
                "sequence": 1,
                "department_id": self.dept_it.id,
                "assignment": "auto",
                "sla_hours": 2.5,
                "diagram_x": 260,
                "diagram_y": 30,
                "calendar_id": self.calendar.id,
                "required_field_ids": [Command.set(self.field_partner.ids)],
                "require_attachment": True,
                "skip_when_urgent": True,
                "portal_visible": True,
                "condition_domain": "[('priority', 'in', ('1', '2', '3'))]",
                "raci_ids": [
                    Command.create({"role": "responsible", "holder_type": "requester"}),
                    Command.create(
                        {
                            "role": "consulted",
                            "holder_type": "department",
                            "department_id": self.dept_finance.id,
                        }
                    ),
                ],
                "deliverable_ids": [
                    Command.create({"name": "Photo", "sequence": 5}),
                    Command.create({"name": "Form", "sequence": 7}),
                ],
                "skill_requirement_ids": [
                    Command.create(
                        {
                            "skill_type_id": self.skill_type.id,
                            "skill_id": self.skill_type.skill_ids.id,
                            "level_id": self.skill_type.skill_level_ids.id,
                        }
                    )
                ],
            }
        )
        review = Step.create(
            {
                "flow_id": flow.id,
                "name": "Review",
                "sequence": 2,
                "kind": "approval",
                "predecessor_ids": [Command.set(intake.ids)],
                "approval_policy": "count",
                "approval_min_count": 2,
                "approval_min_percent": 75,
                "allow_requester_approval": True,
                "require_decision_comment": True,
                "cc_user_ids": [Command.set(self.finance_manager.ids)],
                "cc_department_ids": [Command.set(self.dept_finance.ids)],
                "value_adding": True,
                "reject_action": "return",
                "reject_return_step_id": intake.id,
                "raci_ids": [
                    Command.create({"role": "responsible", "holder_type": "user", "user_id": u.id})
                    for u in (self.approver_1, self.approver_2)
                ]
                + [
                    Command.create(
                        {
                            "role": "accountable",
                            "holder_type": "department_manager",
                            "department_id": self.dept_it.id,
                        }
                    ),
                    Command.create({"role": "informed", "holder_type": "accountable"}),
                ],
            }
        )
        Step.create(
            {
                "flow_id": flow.id,
                "name": "Side",
                "sequence": 2,
                "predecessor_ids": [Command.set(intake.ids)],
                "raci_ids": [Command.create({"role": "responsible", "user_id": self.it_user.id})],
            }
        )
        Rule = self.env["crossdept.escalation.rule"].with_user(self.admin)
        Rule.create(
            [
                {
                    "name": "Flow rule",
                    "sequence": 3,
                    "flow_id": flow.id,
                    "company_id": self.company.id,
                    "warn_percent": 60,
                    "level1_reassign": "manager",
                    "level1_raise_priority": True,
                    "level2_delay_hours": 2,
                },
                {
                    "name": "Review rule",
                    "sequence": 4,
                    "flow_id": flow.id,
                    "flow_step_id": review.id,
                    "company_id": self.company.id,
                    "warn_percent": 40,
                    "level1_reassign": "expert",
                    "level2_delay_hours": 0,
                },
                {
                    "name": "Retired rule",
                    "sequence": 5,
                    "flow_id": flow.id,
                    "company_id": self.company.id,
                    "active": False,
                },
            ]
        )
        flow.action_activate()
        return flow

    def _snapshot(self, flow):
        """{place: {field: value}} over the flow and every record it owns, through
        its one2many fields (steps, their RACI lines, deliverables and required
        skills, escalation rules). Owned records are named by their place, so two
        versions compare equal when everything was copied and remapped."""
        flow = flow.with_context(active_test=False)
        places, queue = {flow: ("flow",)}, [flow]
        while queue:
            record = queue.pop(0)
            for name, field in record._fields.items():
                if field.type != "one2many" or name in NOT_COPIED.get(record._name, ()):
                    continue
                for index, line in enumerate(record[name]):
                    if line not in places:
                        places[line] = (*places[record], name, index)
                        queue.append(line)

        def value(field, val):
            if field.type == "many2one":
                return places.get(val, (val._name, val.id)) if val else False
            if field.type in ("one2many", "many2many"):
                converted = [places.get(rec, (rec._name, rec.id)) for rec in val]
                return converted if field.type == "one2many" else sorted(converted)
            return val

        snapshot = {}
        for record, place in places.items():
            skip = MAGIC | NOT_COPIED.get(record._name, {}).keys()
            snapshot[place] = {
                name: value(field, record[name])
                for name, field in record._fields.items()
                if field.store and name not in skip
            }
            snapshot[place]["_model"] = record._name
        return snapshot, places

    def test_new_version_copies_the_whole_configuration(self):
        flow = self._rich_flow()
        before, old_places = self._snapshot(flow)
        # the fixture gives every compared field a value, so a field left out of the
        # copy cannot go unnoticed
        by_model = {}
        for fields in before.values():
            model = fields["_model"]
            for name, val in fields.items():
                by_model.setdefault((model, name), []).append(val)
        empty = {
            key for key, vals in by_model.items() if not any(vals) and key not in EMPTY_IN_FIXTURE
        }
        self.assertFalse(empty, "the fixture leaves these fields empty")
        self.assertEqual(
            {fields["_model"] for fields in before.values()},
            {
                "crossdept.flow",
                "crossdept.flow.step",
                "crossdept.flow.step.raci",
                "crossdept.flow.step.deliverable",
                "crossdept.skill.requirement",
                "crossdept.escalation.rule",
            },
        )
        new = flow.browse(flow.with_user(self.admin).action_new_version()["res_id"])
        after, new_places = self._snapshot(new)
        self.maxDiff = None
        self.assertEqual(after, before)
        # copies, not shared records
        self.assertFalse(set(old_places) & set(new_places))
        self.assertEqual((new.version, new.previous_version_id, new.state), (2, flow, "draft"))
        # the predecessor keeps its own rules and steps
        rules = self.env["crossdept.escalation.rule"].with_context(active_test=False)
        self.assertEqual(len(rules.search([("flow_id", "=", flow.id)])), 3)
        self.assertEqual(len(rules.search([("flow_id", "=", new.id)])), 3)
        review = new.step_ids.filtered(lambda s: s.name == "Review")
        self.assertEqual(review.escalation_rule_ids.name, "Review rule")
        self.assertEqual(review.reject_return_step_id.flow_id, new)

    def test_open_draft_is_reused(self):
        flow = self._rich_flow().with_user(self.admin)
        first = flow.action_new_version()["res_id"]
        self.assertEqual(flow.action_new_version()["res_id"], first)
