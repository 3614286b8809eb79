from odoo import api, models


class ResLang(models.Model):
    _inherit = "res.lang"

    @api.model
    def _crossdept_install_demo_language(self, code):
        """Activate a language beside English and load its translations of every
        installed module (the modules installed afterwards load theirs on their
        own). Called by the demo data, so a demo database shows both languages."""
        lang = self._activate_lang(code) or self._create_lang(code)
        self.env["ir.module.module"].search(
            [("state", "in", ("installed", "to install", "to upgrade"))]
        )._update_translations([code])
        return lang.id
