from odoo.tests import TransactionCase, new_test_user, tagged

REPORTING = [
    "crossdept_analytics_dashboard_menu",
    "crossdept_analytics_ticket_menu",
    "crossdept_analytics_step_menu",
    "crossdept_analytics_kpi_month_menu",
    "crossdept_analytics_scoreboard_menu",
    "crossdept_collaboration_star_menu",
    "crossdept_health_alert_menu",
    "crossdept_process_review_menu",
]
PROCESS = [
    "crossdept_flow_analytics_menu",
    "crossdept_analytics_effort_menu",
    "crossdept_process_variant_menu",
    "crossdept_process_rework_menu",
    "crossdept_process_pingpong_menu",
    "crossdept_approval_recommendation_menu",
    "crossdept_simulation_menu",
    "crossdept_process_conformance_wizard_menu",
    "crossdept_process_mining_export_wizard_menu",
]
CONFIGURATION = ["crossdept_health_rule_menu", "crossdept_pilot_menu"]


@tagged("post_install", "-at_install")
class TestMenus(TransactionCase):
    def test_analytics_groups_its_entries_as_odoo_apps_do(self):
        manager = new_test_user(
            self.env, "menu_manager", groups="crossdept_ticket.group_crossdept_ticket_manager"
        )
        menus = self.env["ir.ui.menu"].with_user(manager).load_menus(False)
        root = self.env.ref("crossdept_analytics.menu_crossdept_analytics_root")
        groups = [menus[child]["name"] for child in menus[root.id]["children"]]
        # and the background jobs, one entry of their own
        self.assertEqual(groups, ["Reporting", "Process", "Jobs", "Configuration"])
        jobs = self.env.ref("crossdept_analytics.crossdept_analytics_job_menu")
        self.assertEqual(jobs.parent_id, root)
        self.assertEqual(
            jobs.action, self.env.ref("crossdept_analytics.crossdept_analytics_job_action")
        )
        for group, entries in (
            ("crossdept_analytics_reporting_menu", REPORTING),
            ("crossdept_process_mining_menu", PROCESS),
            ("crossdept_analytics_configuration_menu", CONFIGURATION),
        ):
            parent = self.env.ref(f"crossdept_analytics.{group}")
            # every former xml id still names its menu, now inside its group
            expected = [self.env.ref(f"crossdept_analytics.{xmlid}").id for xmlid in entries]
            self.assertEqual(sorted(menus[parent.id]["children"]), sorted(expected), group)
            self.assertEqual(parent.parent_id, root)
