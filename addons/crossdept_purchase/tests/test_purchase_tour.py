from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPurchaseTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_test_user(
            cls.env,
            "tour_approver",
            groups="crossdept_ticket.group_crossdept_ticket_user,purchase.group_purchase_user",
        )
        cls.buyer = new_test_user(
            cls.env, "tour_buyer", groups="base.group_user,purchase.group_purchase_user"
        )
        ticket_type = cls.env["crossdept.ticket.type"].create({"name": "Tour purchase"})
        cls.flow = cls.env["crossdept.flow"].create(
            {
                "name": "Tour purchase approval",
                "code": "TOURPUR",
                "type_ids": [Command.set(ticket_type.ids)],
                "step_ids": [
                    Command.create(
                        {
                            "name": "Approve",
                            "kind": "approval",
                            "sla_hours": 8,
                            "raci_ids": [
                                Command.create(
                                    {
                                        "role": "responsible",
                                        "holder_type": "user",
                                        "user_id": cls.approver.id,
                                    }
                                )
                            ],
                        }
                    )
                ],
            }
        )
        cls.flow.action_activate()
        cls.env.company.write(
            {
                "crossdept_purchase_approval": True,
                "crossdept_purchase_threshold": 1000,
                "crossdept_purchase_categ_ids": [Command.clear()],
                "crossdept_purchase_type_id": ticket_type.id,
                "crossdept_purchase_flow_id": cls.flow.id,
            }
        )
        product = cls.env["product.product"].create(
            {"name": "Tour desk", "supplier_taxes_id": [Command.clear()]}
        )
        cls.order = cls.env["purchase.order"].create(
            {
                "partner_id": cls.env["res.partner"].create({"name": "Tour Vendor"}).id,
                "user_id": cls.buyer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_qty": 2,
                            "price_unit": 900,
                            "taxes_id": [Command.clear()],
                        }
                    )
                ],
            }
        )

    def test_buyer_submits_then_approver_follows_the_links(self):
        self.start_tour(
            f"/odoo/action-purchase.purchase_rfq/{self.order.id}",
            "crossdept_purchase_submit_tour",
            login="tour_buyer",
        )
        self.assertEqual(self.order.state, "to approve")
        ticket = self.order.crossdept_ticket_id
        self.assertEqual(ticket.flow_id, self.flow)
        self.assertEqual(ticket.requester_id, self.buyer)
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_ticket_action/{ticket.id}",
            "crossdept_purchase_ticket_tour",
            login="tour_approver",
        )
