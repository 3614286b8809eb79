from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDashboardManagerTour(HttpCase):
    """The demo IT manager (a department manager, not an administrator) drills
    from a tile into its tickets and back, in English and in Chinese, on a laptop
    and on a phone: one tour, whose selectors read no text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env.ref("crossdept_ticket.user_it_manager")
        # start_tour logs in with the login as password
        cls.manager.password = cls.manager.login
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["crossdept.analytics.ticket"]._cron_refresh()

    def _run(self, lang, size):
        self.manager.lang = lang
        self.browser_size = size
        # the tour picks the first department of the tickets per department chart:
        # the manager must see tickets of the period
        dashboard = self.env["crossdept.analytics.kpi"].with_user(self.manager).get_dashboard()
        per_department = dashboard["charts"][-1]
        self.assertTrue(per_department["bars"], "the demo IT manager sees no ticket to drill into")
        self.start_tour(
            "/odoo/crossdept-dashboard", "crossdept_analytics_manager_tour", login="it.manager"
        )

    def test_english_laptop(self):
        self._run("en_US", "1366x768")

    def test_english_phone(self):
        self._run("en_US", "390x844")

    def test_chinese_laptop(self):
        self._run("zh_CN", "1366x768")

    def test_chinese_phone(self):
        self._run("zh_CN", "390x844")
