import re

from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import USER as CROSSDEPT_USER

DEMO_TYPES = [
    "type_project",
    "type_change",
    "type_incident",
    "type_purchase",
    "type_inspection",
    "type_complaint",
]
# a title written in Chinese
CJK = re.compile(r"[\u4e00-\u9fff]")
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
        """Every ticket type of the demo (of any CrossDept addon installed) has a
        published article in English and one in Chinese."""
        types = self.env["crossdept.ticket.type"].browse(
            self.env["ir.model.data"]
            .search([("model", "=", "crossdept.ticket.type"), ("module", "=like", "crossdept_%")])
            .mapped("res_id")
        )
        demo_types = self.env["crossdept.ticket.type"].browse(
            [self.env.ref(f"crossdept_ticket.{xmlid}").id for xmlid in DEMO_TYPES]
        )
        self.assertFalse(demo_types - types)
        if self.env["ir.module.module"]._get("crossdept_analytics").state == "installed":
            self.assertIn(self.env.ref("crossdept_analytics.type_contract"), types)
        Article = self.env["crossdept.kb.article"]
        for ticket_type in types:
            titles = Article.search(
                [("type_ids", "in", ticket_type.ids), ("state", "=", "published")]
            ).mapped("name")
            self.assertTrue(
                [title for title in titles if not CJK.search(title)],
                f"{ticket_type.name}: no article in English",
            )
            self.assertTrue(
                [title for title in titles if CJK.search(title)],
                f"{ticket_type.name}: no article in Chinese",
            )

    def test_the_vice_president_queue_is_that_of_his_departments(self):
        """The Department Queue of the vice-president, who reads every step of the
        demo: the ready, unassigned tasks of his own department only."""
        vp = self.env.ref("crossdept_ticket.user_vp")
        action = (
            self.env["ir.actions.actions"]
            .with_user(vp)
            ._for_xml_id("crossdept_ticket.crossdept_ticket_step_action_queue")
        )
        domain = safe_eval(action["domain"] or "[]", {"uid": vp.id})
        listed = self.env["crossdept.ticket.step"].with_user(vp).search(domain)
        Step = self.env["crossdept.ticket.step"]
        departments = self.env["hr.employee"].search([("user_id", "=", vp.id)]).department_id
        self.assertTrue(departments)
        self.assertEqual(
            listed,
            Step.search([*Step._queue_domain(), ("department_id", "in", departments.ids)]),
        )
        self.assertLess(len(listed), Step.with_user(vp).search_count([]))

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

    def test_every_open_step_has_someone_who_can_act_on_it(self):
        """No step of a running ticket waits on nobody: somebody can start or finish
        it, decide it or take it from the queue, or it is an approval that nobody
        can decide, handed to its Accountable to add approvers."""
        steps = self.env["crossdept.ticket.step"].search(
            [("state", "in", ("ready", "in_progress")), ("ticket_id.state", "=", "in_progress")]
        )
        self.assertTrue(steps, "the demo runs tickets on their flows")
        Employee = self.env["hr.employee"]
        stuck = []
        for step in steps:
            members = Employee.search([("department_id", "=", step.department_id.id)]).user_id
            people = (step.user_id | step.responsible_ids | step.approver_ids | members).filtered(
                lambda user: user.active and user.has_group(CROSSDEPT_USER)
            )
            if any(
                step.with_user(user).can_act
                or step.with_user(user).can_decide
                or step.with_user(user).can_take
                for user in people
            ):
                continue
            accountable = step.accountable_id or step.ticket_id.accountable_user_id
            blocked = step.ticket_id.event_ids.filtered(
                lambda e, step=step: e.step_id == step and e.event_type == "approval_blocked"
            )
            if step.kind == "approval" and blocked and step.user_id == accountable:
                continue
            stuck.append(f"{step.display_name} ({step.state}, {step.kind})")
        self.assertFalse(stuck, "open steps nobody can act on")

    def test_staff_are_notified_in_odoo(self):
        """The demo staff's addresses are made up: they are notified in their Inbox,
        where their to-dos and messages wait, not by e-mails that cannot be delivered."""
        demo = self.env["ir.model.data"].search(
            [("module", "=", "crossdept_ticket"), ("model", "=", "res.users")]
        )
        staff = self.env["res.users"].browse(demo.mapped("res_id")).filtered(lambda u: not u.share)
        self.assertGreaterEqual(len(staff), 14)
        for user in staff:
            self.assertEqual(user.notification_type, "inbox", user.login)

    def test_each_reader_sees_the_demo_steps_in_their_language(self):
        ticket = self.env.ref("crossdept_ticket.ticket_change")
        feasibility = self.env.ref("crossdept_ticket.change_feasibility")
        for xmlid, name, flow in (
            ("user_sales_manager", "Technical feasibility", "Change request"),
            ("user_it_engineer", "技术可行性评估", "变更请求"),
        ):
            reader = self.env.ref(f"crossdept_ticket.{xmlid}")
            step = (
                ticket.with_user(reader)
                .with_context(lang=reader.lang)
                .step_ids.filtered(lambda s: s.flow_step_id == feasibility)
            )
            self.assertEqual(step.name, name, reader.name)
            self.assertEqual(step.ticket_id.flow_id.name, flow, reader.name)

    def test_people_read_times_in_their_own_time_zone(self):
        staff = self.env["ir.model.data"].search(
            [("module", "=", "crossdept_ticket"), ("model", "=", "res.users")]
        )
        users = self.env["res.users"].browse(staff.mapped("res_id"))
        self.assertTrue(users)
        for user in users:
            if user.lang == "zh_CN":
                self.assertEqual(user.tz, "Asia/Shanghai", user.login)
            else:
                self.assertIn((user.tz or "UTC").split("/")[0], ("Europe", "America"), user.login)
        # the Chinese customer's portal account follows their contact
        customer = self.env["res.users"].search([("login", "=", "portal.zh")])
        self.assertEqual((customer.lang, customer.tz), ("zh_CN", "Asia/Shanghai"))
