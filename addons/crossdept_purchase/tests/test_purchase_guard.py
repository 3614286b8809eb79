import re

from odoo.tests import new_test_user, tagged

from odoo.addons.crossdept_ticket.tests.guard import GuardAttempts

from .common import CrossdeptPurchaseCase

NOBODY = frozenset()
# Purchase's settings page writes them to the company: Settings administrators
SETTINGS = frozenset({"settings"})
PURCHASE_ROLES = ("buyer", "purchase_manager")
ENGINE_REFUSAL = re.compile(r"is set by CrossDept's engine and cannot be written directly")

# CrossDept's fields on Purchase's order and on the company: who may write each
TABLE = {
    "purchase.order": dict.fromkeys(
        "approval_state crossdept_ticket_id crossdept_approval_amount "
        "crossdept_approval_snapshot crossdept_ticket_ids".split(),
        NOBODY,
    ),
    "res.company": dict.fromkeys(
        "crossdept_purchase_approval crossdept_purchase_threshold "
        "crossdept_purchase_categ_ids crossdept_purchase_tolerance "
        "crossdept_purchase_type_id crossdept_purchase_flow_id".split(),
        SETTINGS,
    ),
}


@tagged("post_install", "-at_install")
class TestPurchaseGuard(GuardAttempts, CrossdeptPurchaseCase):
    """The seven roles of a running ticket, a buyer, a purchase manager and a
    Settings administrator write every CrossDept field of a submitted purchase order
    and of the company: the approval's fields are refused to all (to whoever may
    write the order, with the engine's message), the settings allowed to Settings
    administrators only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            **cls._guard_users(),
            "buyer": cls.buyer,
            "purchase_manager": cls.purchase_manager,
            "settings": new_test_user(
                cls.env, "guard_settings", groups="base.group_system", name="Settings Admin"
            ),
        }
        cls.order = cls._make_order(12000)
        cls.order.with_user(cls.buyer).button_confirm()

    def test_every_role_every_crossdept_field(self):
        self.assertEqual(
            (self.order.approval_state, bool(self.order.crossdept_approval_snapshot)),
            ("pending", True),
        )
        records = {"purchase.order": self.order, "res.company": self.company}
        problems, covered, untried = [], 0, []
        for model_name, expected in TABLE.items():
            names = self._crossdept_fields(self.env[model_name])
            self.assertEqual(names, set(expected), f"{model_name}: fields nobody decided")
            found, count, missed = self._attack_fields(
                records[model_name], expected, self.users, names
            )
            problems += found
            covered += count
            untried += missed
        # who may write the order is told that the engine sets these fields
        purchase_users = {role: self.users[role] for role in PURCHASE_ROLES}
        found, count, _missed = self._attack_fields(
            self.order,
            TABLE["purchase.order"],
            purchase_users,
            TABLE["purchase.order"],
            refusals=ENGINE_REFUSAL,
        )
        problems += found
        for role in PURCHASE_ROLES:
            problems.append(
                self._refused(
                    f"purchase.order created approved by {role}",
                    lambda role=role: self._make_order(
                        100, user=self.users[role], approval_state="approved"
                    ),
                    refusals=ENGINE_REFUSAL,
                )
            )
        problems = [problem for problem in problems if problem]
        self.assertFalse(problems, "\n".join(problems))
        self.assertFalse(untried, "fields with no value to try")
        self.assertGreater(covered, 100)
