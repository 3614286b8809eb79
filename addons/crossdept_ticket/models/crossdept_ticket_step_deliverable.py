from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .crossdept_flow_step_deliverable import VALUE_TYPES

# the fields that hold each type of value
VALUE_FIELDS = {
    "value_amount": "amount",
    "currency_id": "amount",
    "value_text": "text",
    "value_date": "date",
    "value_yes_no": "boolean",
    "value_file": "file",
    "value_filename": "file",
}
# what the step's holder writes, and nobody else
HOLDER_FIELDS = frozenset({"done", *VALUE_FIELDS})


class CrossdeptTicketStepDeliverable(models.Model):
    """A deliverable (an output) of a step, copied from its flow step. Only the
    step's holder ticks it off or gives its value, while the step is open; later
    steps and approvers read it."""

    _name = "crossdept.ticket.step.deliverable"
    _description = "Step Deliverable"
    _inherit = ["crossdept.engine.mixin"]
    _order = "step_id, sequence, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    # the ticket lists the deliverables of its current steps, where their holders
    # tick them off and finish (a One2many needs the ticket on the line)
    ticket_id = fields.Many2one(related="step_id.ticket_id", store=True, index=True)
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    flow_deliverable_id = fields.Many2one(
        "crossdept.flow.step.deliverable", readonly=True, ondelete="set null", index=True
    )
    sequence = fields.Integer()
    # the flow deliverable's name in every language, as the step's name
    name = fields.Char(required=True, translate=True)
    value_type = fields.Selection(VALUE_TYPES, default="check", required=True)
    required = fields.Boolean(default=True)
    # ticked off, or (for a value) given: kept by write
    done = fields.Boolean()
    value_amount = fields.Monetary("Amount", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency")
    value_text = fields.Text("Text")
    value_date = fields.Date("Date")
    value_yes_no = fields.Selection([("yes", "Yes"), ("no", "No")], string="Yes/No")
    value_file = fields.Binary("File", attachment=True)
    value_filename = fields.Char("File Name")
    filled_by_id = fields.Many2one("res.users", "Given by", readonly=True)
    date_filled = fields.Datetime("Given on", readonly=True)
    value_display = fields.Char("Value", compute="_compute_value_display")
    step_name = fields.Char(related="step_id.name", string="Step Name")
    can_tick = fields.Boolean(
        compute="_compute_can_tick", help="Whether the current user may tick it off now."
    )

    @api.depends_context("uid")
    @api.depends("step_id.state", "step_id.user_id", "step_id.responsible_ids")
    def _compute_can_tick(self):
        user = self.env.user
        for deliverable in self:
            step = deliverable.step_id
            deliverable.can_tick = step.state in ("ready", "in_progress") and step._is_worker(user)

    @api.depends(
        "value_type",
        "done",
        "value_amount",
        "currency_id",
        "value_text",
        "value_date",
        "value_yes_no",
        "value_filename",
    )
    def _compute_value_display(self):
        yes_no = dict(self._fields["value_yes_no"]._description_selection(self.env))
        for line in self:
            if not line._is_filled():
                line.value_display = False
                continue
            match line.value_type:
                case "amount":
                    line.value_display = format_amount(
                        self.env,
                        line.value_amount,
                        line.currency_id or self.env.company.currency_id,
                    )
                case "text":
                    line.value_display = line.value_text
                case "date":
                    line.value_display = format_date(self.env, line.value_date)
                case "boolean":
                    line.value_display = yes_no[line.value_yes_no]
                case "file":
                    line.value_display = line.value_filename or "✓"
                case _:
                    line.value_display = "✓"

    def _engine_fields(self):
        flow = self.env._("the flow step's deliverables")
        filled = self.env._("the value given by the step's holder")
        return {
            **super()._engine_fields(),
            **dict.fromkeys(
                ["step_id", "flow_deliverable_id", "sequence", "name", "value_type", "required"],
                flow,
            ),
            **dict.fromkeys(["filled_by_id", "date_filled"], filled),
        }

    def _is_filled(self):
        """Whether the output is ticked off or its value given."""
        self.ensure_one()
        match self.value_type:
            case "check":
                return self.done
            case "amount":
                # an amount of zero is a value once given
                return self.done or bool(self.value_amount)
            case "text":
                return bool((self.value_text or "").strip())
            case "date":
                return bool(self.value_date)
            case "boolean":
                return bool(self.value_yes_no)
            case _:
                return bool(self.value_file)

    def write(self, vals):
        if not (vals.keys() & HOLDER_FIELDS) or self._is_engine():
            return super().write(vals)
        if not self.env.su:
            self._check_holder()
        self._check_value_types(vals)
        self._check_engine_write(vals)
        # who gave the value and when are the engine's to note
        res = super(CrossdeptTicketStepDeliverable, self._engine()).write(
            {**vals, "filled_by_id": self.env.uid, "date_filled": fields.Datetime.now()}
        )
        self._sync_done(vals)
        return res

    def _check_holder(self):
        for step in self.step_id:
            if step.state not in ("ready", "in_progress") or not step._is_worker(self.env.user):
                raise UserError(
                    self.env._(
                        "Only the holder of step %(step)s ticks off its deliverables and "
                        "gives its outputs, while the step is open.",
                        step=step.display_name,
                    )
                )

    def _check_value_types(self, vals):
        """A value goes to an output of its type (empty values are let through:
        forms send them for every column)."""
        types = dict(self._fields["value_type"]._description_selection(self.env))
        for line in self:
            for name in vals.keys() & HOLDER_FIELDS:
                expected = VALUE_FIELDS.get(name, "check")
                if vals[name] and expected != line.value_type:
                    raise UserError(
                        self.env._(
                            "Output %(output)s of step %(step)s takes a value of type "
                            "%(type)s: %(field)s does not apply to it.",
                            output=line.name,
                            step=line.step_id.display_name,
                            type=types[line.value_type],
                            field=self._fields[name]._description_string(self.env),
                        )
                    )

    def _sync_done(self, vals):
        """``done`` of an output with a value tells whether the value is given."""
        # zero is an amount once given (and 0 == False: compare identities)
        amount = vals.get("value_amount")
        amount_given = amount is not None and amount is not False
        by_done = {True: self.browse(), False: self.browse()}
        for line in self.filtered(lambda line: line.value_type != "check"):
            if line.value_type == "amount":
                given = amount_given or (line.done and "value_amount" not in vals)
            else:
                given = line._is_filled()
            if given != line.done:
                by_done[given] |= line
        for done, lines in by_done.items():
            if lines:
                lines._engine().write({"done": done})

    def unlink(self):
        if not (self._is_engine() or self.env.context.get(MODULE_UNINSTALL_FLAG)):
            raise UserError(
                self.env._("The deliverables of a step come from its flow: they cannot be removed.")
            )
        return super().unlink()
