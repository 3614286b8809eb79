from datetime import date, datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrossdeptAnalyticsCase

TODAY = date(2020, 3, 31)


@tagged("post_install", "-at_install")
class TestHealth(CrossdeptAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # five weeks of four IT tickets; one transferred a week, then all four in the
        # last week (Mar 25-31): the transfer rate jumps from 25% to 100%
        cls.weeks = []
        for week in range(5):
            opened = datetime(2020, 3, 31, 9) - timedelta(days=7 * week + 1)
            tickets = cls._closed_tickets(cls.dept_it, opened, [2.0, 3.0, 4.0, 5.0])
            cls._log(tickets if week == 0 else tickets[0], "transfer")
            cls.weeks.append(tickets)
        cls._refresh()
        cls.Rule = cls.env["crossdept.health.rule"]
        cls.Alert = cls.env["crossdept.health.alert"]

    def _rule(self, **vals):
        return self.Rule.create(
            {
                "name": "IT transfers",
                "kpi": "transfer_rate",
                "scope": "department",
                "department_id": self.dept_it.id,
                "mode": "threshold",
                "operator": ">",
                "threshold": 50.0,
                "window_days": 7,
                "user_id": self.finance_manager.id,
                **vals,
            }
        )

    def test_threshold_alert_open_then_close(self):
        rule = self._rule()
        rule._run(TODAY)
        alert = self.Alert.search([("rule_id", "=", rule.id)])
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.state, "open")
        self.assertEqual(alert.department_id, self.dept_it)
        self.assertEqual(alert.value, 100.0)
        self.assertEqual(alert.limit_value, 50.0)
        # the department's manager gets the to-do, not the rule's fallback user
        self.assertEqual(alert.activity_ids.user_id, self.it_manager)
        # idempotent: evaluating again refreshes the open alert
        rule._run(TODAY)
        self.assertEqual(self.Alert.search_count([("rule_id", "=", rule.id)]), 1)
        self.assertEqual(len(alert.activity_ids), 1)
        # a week earlier, the rate was 25%: the alert closes, its to-do is done
        rule._run(TODAY - timedelta(days=7))
        self.assertEqual(alert.state, "closed")
        self.assertTrue(alert.date_closed)
        self.assertEqual(alert.value, 25.0)
        self.assertFalse(alert.activity_ids)
        # breaching again opens a new alert, the closed one stays as history
        rule._run(TODAY)
        self.assertEqual(self.Alert.search_count([("rule_id", "=", rule.id)]), 2)
        self.assertEqual(rule.open_alert_count, 1)

    def test_anomaly_against_own_baseline(self):
        rule = self._rule(mode="anomaly", baseline_windows=4, sigma=2.0)
        rule._run(TODAY)
        alert = rule.alert_ids
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.value, 100.0)
        self.assertEqual(alert.baseline, 25.0, "mean of the four previous weeks")
        self.assertEqual(alert.limit_value, 25.0, "no spread in the baseline")
        # the week before was in line with its own past: no alert
        rule.alert_ids.unlink()
        rule._run(TODAY - timedelta(days=7))
        self.assertFalse(rule.alert_ids, "too few past windows before the data starts")

    def test_every_department_of_the_scope(self):
        finance = self._closed_tickets(self.dept_finance, datetime(2020, 3, 30, 9), [1.0, 1.0])
        self._log(finance, "transfer")
        self._refresh()
        rule = self._rule(department_id=False, threshold=90.0)
        rule._run(TODAY)
        self.assertEqual(
            rule.alert_ids.filtered(
                lambda a: a.department_id in (self.dept_it | self.dept_finance)
            ).department_id,
            self.dept_it | self.dept_finance,
        )
        finance_alert = rule.alert_ids.filtered(lambda a: a.department_id == self.dept_finance)
        self.assertEqual(finance_alert.activity_ids.user_id, self.finance_manager)

    def test_higher_is_better_threshold(self):
        rule = self._rule(kpi="on_time_rate", operator="<", threshold=50.0)
        rule._run(TODAY)
        self.assertFalse(rule.alert_ids, "no deadline, no steps: every ticket is on time")

    def test_anomaly_needs_history(self):
        with self.assertRaisesRegex(ValidationError, "live count without history"):
            self._rule(kpi="open_overdue", mode="anomaly")
        with self.assertRaisesRegex(ValidationError, "needs at least 3 past windows"):
            self._rule(mode="anomaly", baseline_windows=2)
