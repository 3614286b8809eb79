import re

from odoo.tools.misc import file_path
from odoo.tools.translate import PoFileReader, TranslationModuleReader

PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\{\w+\}")


def assert_zh_cn_complete(case, module):
    """Fail ``case`` unless ``module``'s i18n/zh_CN.po translates every term of the
    addon (code, views, data) and keeps the placeholders of each message."""
    with open(file_path(f"{module}/i18n/zh_CN.po"), "rb") as po:
        translated = {entry["src"]: entry["value"] for entry in PoFileReader(po) if entry["value"]}
    reader = TranslationModuleReader(case.env.cr, modules=[module])
    terms = {
        source
        for term_module, _type, _name, _res_id, source, _value, _comments in reader
        if term_module == module and source.strip()
    }
    missing = sorted(terms - set(translated))
    case.assertFalse(missing, f"{len(missing)} terms lack a zh_CN translation: {missing[:10]}")
    for source in terms:
        case.assertEqual(
            sorted(PLACEHOLDER.findall(source)),
            sorted(PLACEHOLDER.findall(translated[source])),
            f"placeholders differ in the translation of {source!r}",
        )


def assert_zh_cn_everywhere(case, module):
    """Fail ``case`` unless each place of ``module`` that shows a term (a view, a
    field's label or help, a record's name) is among the references of the term's
    zh_CN.po entry: Odoo translates a view's or a field's term only through its
    reference, so a term translated for one view stays English in another."""
    with open(file_path(f"{module}/i18n/zh_CN.po"), "rb") as po:
        places = {
            (entry["src"], entry["type"], entry["name"], f"{entry['module']}.{entry['imd_name']}")
            for entry in PoFileReader(po)
            if entry["value"] and entry["type"] != "code"
        }
    reader = TranslationModuleReader(case.env.cr, modules=[module])
    missing = sorted(
        f"{res_id}: {source}"
        for term_module, term_type, name, res_id, source, _value, _comments in reader
        if term_module == module
        and term_type != "code"
        and source.strip()
        and (source, term_type, name, res_id) not in places
    )
    case.assertFalse(missing, f"{len(missing)} places lack their zh_CN reference: {missing[:10]}")
