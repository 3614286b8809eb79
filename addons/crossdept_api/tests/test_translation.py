from odoo.tests import TransactionCase, tagged

from odoo.addons.crossdept_ticket.tests.translation import (
    assert_zh_cn_complete,
    assert_zh_cn_everywhere,
)


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    def test_zh_cn_is_complete(self):
        assert_zh_cn_complete(self, "crossdept_api")

    def test_zh_cn_reaches_every_view_and_field(self):
        assert_zh_cn_everywhere(self, "crossdept_api")
