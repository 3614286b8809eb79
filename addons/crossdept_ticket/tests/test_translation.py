import re

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import PoFileReader, TranslationModuleReader

PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\{\w+\}")


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    """The Simplified Chinese translation covers every translatable term of the
    addon (code, views, data) and keeps the placeholders of each message."""

    def test_zh_cn_is_complete(self):
        path = file_path("crossdept_ticket/i18n/zh_CN.po")
        with open(path, "rb") as po:
            translated = {
                entry["src"]: entry["value"] for entry in PoFileReader(po) if entry["value"]
            }
        terms = {
            source
            for module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=["crossdept_ticket"]
            )
            if module == "crossdept_ticket" and source.strip()
        }
        missing = sorted(terms - set(translated))
        self.assertFalse(missing, f"{len(missing)} terms lack a zh_CN translation: {missing[:10]}")
        for source in terms:
            self.assertEqual(
                sorted(PLACEHOLDER.findall(source)),
                sorted(PLACEHOLDER.findall(translated[source])),
                f"placeholders differ in the translation of {source!r}",
            )
