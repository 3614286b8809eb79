from odoo.tests import TransactionCase, tagged

from ..tools.duration import EMPTY, format_hours, format_number, format_percent


@tagged("post_install", "-at_install")
class TestDuration(TransactionCase):
    """One way of showing durations and measures on every screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")

    def test_hours_have_one_decimal_and_a_unit(self):
        env = self.env(context={"lang": "en_US"})
        self.assertEqual(format_hours(env, 52.75), "52.8 h")
        self.assertEqual(format_hours(env, 12496.42), "12,496.4 h")
        self.assertEqual(format_hours(env, 0.0), "0.0 h", "zero hours were measured")
        self.assertEqual(format_hours(env, 3.25, sign=True), "+3.2 h")
        self.assertEqual(format_hours(env, -3.26, sign=True), "-3.3 h")

    def test_nothing_measured_is_a_dash(self):
        env = self.env(context={"lang": "en_US"})
        self.assertEqual(EMPTY, "\u2013")
        for formatter in (format_hours, format_percent, format_number):
            self.assertEqual(formatter(env, None), EMPTY)
            self.assertEqual(formatter(env, False), EMPTY)

    def test_rates_and_numbers(self):
        env = self.env(context={"lang": "en_US"})
        self.assertEqual(format_percent(env, 85.26), "85.3%")
        self.assertEqual(format_number(env, 4.25), "4.2")
        self.assertEqual(format_number(env, 1234, digits=0), "1,234")

    def test_readers_language(self):
        env = self.env(context={"lang": "zh_CN"})
        self.assertEqual(format_hours(env, 52.75), "52.8 小时")
