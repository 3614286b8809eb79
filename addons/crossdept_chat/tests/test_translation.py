from odoo.tests import TransactionCase, tagged

from odoo.addons.crossdept_ticket.tests.translation import assert_zh_cn_complete


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    def test_zh_cn_is_complete(self):
        assert_zh_cn_complete(self, "crossdept_chat")
