from odoo import models
from odoo.tools import SQL


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    def _crossdept_next_numbers(self, count):
        """Return ``count`` formatted numbers, drawn in one query for the usual
        (standard, no date range) sequences."""
        self.ensure_one()
        if self.implementation != "standard" or self.use_date_range:
            return [self._next() for _index in range(count)]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{self.id:03d}",
                count,
            )
        )
        return [self.get_next_char(number) for (number,) in self.env.cr.fetchall()]
