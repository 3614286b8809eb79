from odoo.tests import TransactionCase, tagged

DEMO_TYPES = [
    "type_project",
    "type_change",
    "type_incident",
    "type_purchase",
    "type_inspection",
    "type_complaint",
]
DEMO_DEPARTMENTS = [
    "hr.dep_sales",
    "crossdept_ticket.dep_service",
    "crossdept_ticket.dep_it",
    "crossdept_ticket.dep_finance",
    "crossdept_ticket.dep_legal",
    "crossdept_ticket.dep_procurement",
    "hr.dep_management",
]


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo database, when there is one: Chinese beside English, knowledge
    articles for every ticket type, customers following tickets on the portal."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("crossdept_ticket.ticket_portal_desk", raise_if_not_found=False):
            self.skipTest("no demo data")

    def test_chinese_beside_english(self):
        self.assertEqual(
            set(self.env["res.lang"].search([]).mapped("code")) & {"en_US", "zh_CN"},
            {"en_US", "zh_CN"},
        )
        for xmlid in DEMO_DEPARTMENTS:
            department = self.env.ref(xmlid)
            users = department.member_ids.user_id
            self.assertIn("zh_CN", users.mapped("lang"), department.name)
            self.assertIn("en_US", users.mapped("lang"), department.name)
        # menus and CrossDept screens in Chinese: Odoo's and ours
        engineer = self.env.ref("crossdept_ticket.user_it_engineer")
        env = self.env(user=engineer, context={"lang": engineer.lang})
        self.assertEqual(env.ref("crossdept_ticket.crossdept_menu_root").name, "跨部门工单")
        self.assertEqual(env.ref("mail.menu_root_discuss").name, "讨论")
        states = dict(env["crossdept.ticket"]._fields["state"]._description_selection(env))
        self.assertEqual(states["in_progress"], "处理中")

    def test_published_articles_for_every_demo_ticket_type(self):
        Article = self.env["crossdept.kb.article"]
        for xmlid in DEMO_TYPES:
            ticket_type = self.env.ref(f"crossdept_ticket.{xmlid}")
            self.assertTrue(
                Article.search_count(
                    [("type_ids", "in", ticket_type.ids), ("state", "=", "published")]
                ),
                ticket_type.name,
            )

    def test_portal_customers_follow_their_tickets(self):
        for xmlid, login in (
            ("ticket_portal_desk", "portal"),
            ("ticket_portal_projector", "portal.zh"),
        ):
            ticket = self.env.ref(f"crossdept_ticket.{xmlid}")
            customer = self.env["res.users"].search([("login", "=", login)])
            visible = ticket.with_user(customer).step_ids
            self.assertEqual(
                visible.mapped("name"),
                ["Acknowledge the complaint", "Replace or refund", "Confirm with the customer"],
            )
            self.assertEqual(visible[0].state, "done")
            self.assertTrue(ticket.message_ids.filtered(lambda m: m.message_type == "comment"))
