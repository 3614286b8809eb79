from odoo import api, models

from ..tools.batch import SHARED_DEFAULTS, SHARED_DEFAULTS_MIXIN, SharedDefaults


class CrossdeptSharedDefaultsMixin(models.AbstractModel):
    """Rows that share their defaults with the others of their batch while the
    engine creates them in bulk (``tools.batch.shared_defaults``): the defaults are
    looked up once per batch instead of once per row, but for those a function
    computes for each row (a date, a sequence, a token)."""

    _name = SHARED_DEFAULTS_MIXIN
    _description = "CrossDept Defaults Shared by a Batch"

    @api.model
    def _add_missing_default_values(self, values):
        shared = self.env.context.get(SHARED_DEFAULTS)
        if not isinstance(shared, SharedDefaults):
            return super()._add_missing_default_values(values)
        return shared.complete(self, values, super()._add_missing_default_values)
