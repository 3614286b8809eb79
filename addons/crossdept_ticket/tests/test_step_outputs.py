import base64
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import USER
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestStepOutputs(CrossdeptFlowCase):
    """A step's outputs carry values: its holder gives them while the step is open,
    a required one holds Finish back, later steps and approvers read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls._make_user("buyer", USER, cls.dept_finance)
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {
                    "name": "Estimate",
                    "user": cls.finance_user,
                    "deliverable_ids": [
                        Command.create(
                            {"name": "Estimated cost", "value_type": "amount", "sequence": 1}
                        ),
                        Command.create(
                            {
                                "name": "Notes",
                                "value_type": "text",
                                "required": False,
                                "sequence": 2,
                            }
                        ),
                        Command.create(
                            {
                                "name": "Delivery date",
                                "value_type": "date",
                                "required": False,
                                "sequence": 3,
                            }
                        ),
                        Command.create(
                            {
                                "name": "In budget",
                                "value_type": "boolean",
                                "required": False,
                                "sequence": 4,
                            }
                        ),
                        Command.create(
                            {
                                "name": "Quote",
                                "value_type": "file",
                                "required": False,
                                "sequence": 5,
                            }
                        ),
                    ],
                },
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Estimate"],
                    "approvers": cls.approver_1,
                },
                {"name": "Order", "preds": ["Sign"], "user": cls.buyer},
            ]
        )

    def setUp(self):
        super().setUp()
        self.ticket = self._run(self.flow)
        self.estimate = self._step(self.ticket, "Estimate")
        self.outputs = {line.name: line for line in self.estimate.deliverable_ids}

    def _give(self, user, name, vals):
        """Give a value as the step form does: through the step."""
        self.estimate.with_user(user).write(
            {"deliverable_ids": [Command.update(self.outputs[name].id, vals)]}
        )

    def test_each_type_of_value_is_stored_and_shown(self):
        self.estimate.with_user(self.finance_user).action_start()
        usd = self.env.ref("base.USD")
        self.assertEqual(self.outputs["Estimated cost"].currency_id, self.env.company.currency_id)
        self._give(
            self.finance_user, "Estimated cost", {"value_amount": 1250.5, "currency_id": usd.id}
        )
        self._give(self.finance_user, "Notes", {"value_text": "Two licences"})
        self._give(self.finance_user, "Delivery date", {"value_date": "2031-03-04"})
        self._give(self.finance_user, "In budget", {"value_yes_no": "no"})
        self._give(
            self.finance_user,
            "Quote",
            {"value_file": base64.b64encode(b"quote"), "value_filename": "quote.pdf"},
        )
        lines = self.estimate.with_user(self.finance_user).deliverable_ids
        self.assertEqual(lines.mapped("done"), [True] * 5, "every value counts as given")
        cost, notes, due, budget, quote = lines
        self.assertEqual((cost.value_amount, cost.currency_id), (1250.5, usd))
        self.assertIn("1,250.50", cost.value_display)
        self.assertIn("$", cost.value_display)
        self.assertEqual(notes.value_display, "Two licences")
        self.assertEqual(due.value_date, date(2031, 3, 4))
        self.assertEqual(due.value_display, "03/04/2031")
        self.assertEqual(budget.value_display, "No", "no is an answer, not an empty value")
        self.assertEqual(base64.b64decode(quote.value_file), b"quote")
        self.assertEqual(quote.value_display, "quote.pdf")
        self.assertEqual(lines.filled_by_id, self.finance_user)
        self.assertTrue(all(lines.mapped("date_filled")))
        # an empty text is no value
        self._give(self.finance_user, "Notes", {"value_text": "  "})
        self.assertFalse(notes.done)
        self.assertFalse(notes.value_display)

    def test_an_amount_of_zero_is_given(self):
        self.estimate.with_user(self.finance_user).action_start()
        self._give(self.finance_user, "Estimated cost", {"value_amount": 0})
        self.assertTrue(self.outputs["Estimated cost"].done)
        self.estimate.with_user(self.finance_user).action_finish()
        self.assertEqual(self.estimate.state, "done")

    def test_a_required_output_holds_finish_back(self):
        estimate = self.estimate.with_user(self.finance_user)
        estimate.action_start()
        self.assertEqual(
            estimate.finish_blocked_reason, "Still missing: deliverable: Estimated cost"
        )
        with self.assertRaisesRegex(
            UserError,
            r"Step .*Estimate cannot be finished yet. Missing:\n- deliverable: Estimated cost$",
        ):
            estimate.action_finish()
        self.assertEqual(self.estimate.state, "in_progress")
        self._give(self.finance_user, "Estimated cost", {"value_amount": 800})
        estimate.invalidate_recordset(["finish_blocked_reason"])
        self.assertFalse(estimate.finish_blocked_reason, "the optional outputs may stay empty")
        estimate.action_finish()
        self.assertEqual(self.estimate.state, "done")

    def test_the_ticket_form_follows_a_value_before_it_is_saved(self):
        self.estimate.with_user(self.finance_user).action_start()
        form = Form(self.ticket.with_user(self.finance_user))
        self.assertEqual(
            form.next_action[0]["blocked"], "Still missing: deliverable: Estimated cost"
        )
        with form.current_deliverable_ids.edit(0) as line:
            line.value_amount = 420.0
        self.assertFalse(form.next_action[0]["blocked"])
        form.save()
        self.assertEqual(self.outputs["Estimated cost"].value_amount, 420.0)
        self.assertEqual(self.outputs["Estimated cost"].filled_by_id, self.finance_user)

    def test_only_the_holder_gives_values_while_the_step_is_open(self):
        refusal = (
            r"Only the holder of step .*Estimate ticks off its deliverables and gives its "
            r"outputs, while the step is open\."
        )
        for user in (self.finance_manager, self.approver_1, self.buyer, self.it_user):
            with self.assertRaisesRegex(UserError, refusal, msg=user.name):
                self.outputs["Estimated cost"].with_user(user).write({"value_amount": 1.0})
            with self.assertRaisesRegex(UserError, refusal, msg=user.name):
                self.outputs["Notes"].with_user(user).write({"value_text": "Mine"})
        # through the ticket, as its form sends it
        with self.assertRaisesRegex(UserError, refusal):
            self.ticket.with_user(self.it_user).write(
                {
                    "current_deliverable_ids": [
                        Command.update(self.outputs["Notes"].id, {"value_text": "Mine"})
                    ]
                }
            )
        with self.assertRaisesRegex(
            UserError,
            r"Output Estimated cost of step .*Estimate takes a value of type Amount: "
            r"Text does not apply to it\.",
        ):
            self._give(self.finance_user, "Estimated cost", {"value_text": "cheap"})
        with self.assertRaisesRegex(UserError, "they can be ticked off, not added, renamed"):
            self._give(self.finance_user, "Estimated cost", {"value_type": "text"})
        with self.assertRaisesRegex(UserError, "Value Type of Step Deliverable is set by"):
            self.outputs["Estimated cost"].with_user(self.finance_user).write(
                {"value_type": "text"}
            )
        self._give(self.finance_user, "Estimated cost", {"value_amount": 900})
        self.estimate.with_user(self.finance_user).action_finish()
        with self.assertRaisesRegex(UserError, refusal):
            self._give(self.finance_user, "Estimated cost", {"value_amount": 1.0})
        self.assertEqual(self.outputs["Estimated cost"].value_amount, 900)
        self.assertFalse(self.outputs["Notes"].value_text)

    def test_the_approver_and_later_holders_read_the_results(self):
        estimate = self.estimate.with_user(self.finance_user)
        estimate.action_start()
        self._give(self.finance_user, "Estimated cost", {"value_amount": 1250.5})
        self._give(self.finance_user, "In budget", {"value_yes_no": "yes"})
        estimate.action_finish()
        for user in (self.approver_1, self.buyer):
            results = self.ticket.with_user(user).result_ids
            self.assertEqual(
                [(line.step_name, line.name, line.filled_by_id.name) for line in results],
                [
                    ("Estimate", "Estimated cost", self.finance_user.name),
                    ("Estimate", "In budget", self.finance_user.name),
                ],
                user.name,
            )
            self.assertIn("1,250.50", results[0].value_display)
            self.assertEqual(results[1].value_display, "Yes")
            self.assertTrue(results[0].date_filled)
        self._step(self.ticket, "Sign").with_user(self.approver_1).action_approve()
        order = self._step(self.ticket, "Order")
        self.assertEqual(order.state, "ready")
        # the next holder reads the values but does not change them
        with self.assertRaisesRegex(UserError, "Only the holder of step .*Estimate"):
            self.outputs["Estimated cost"].with_user(self.buyer).write({"value_amount": 1.0})

    def test_the_step_form_gives_a_value(self):
        self.estimate.with_user(self.finance_user).action_start()
        form = Form(self.estimate.with_user(self.finance_user))
        with form.deliverable_ids.edit(0) as line:
            line.value_amount = 75.0
        self.assertFalse(form.finish_blocked_reason)
        form.save()
        self.assertEqual(self.outputs["Estimated cost"].value_amount, 75.0)
