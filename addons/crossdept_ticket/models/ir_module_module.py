from odoo import api, models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    @api.model
    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        """Translations loaded from the modules' .po files (at install, update or when
        a language is added) reach the names the ticket steps hold of their flow."""
        res = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        self.env["crossdept.ticket.step"]._init_flow_names()
        return res
