from odoo import models


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _compute_domain(self, model_name, mode="read"):
        """The CrossDept rules read the participants of tickets (a stored computed
        many2many, which a domain does not flush by itself): the participants still
        to compute are written first, so that a ticket is visible to whoever was
        just made its participant, in the same transaction. Runs on every check
        (the domain itself is cached), and costs nothing when nothing is pending."""
        if model_name.startswith("crossdept."):
            self.env["crossdept.ticket"].flush_model(["participant_user_ids"])
        return super()._compute_domain(model_name, mode)
