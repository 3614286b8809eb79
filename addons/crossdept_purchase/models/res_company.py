from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crossdept_purchase_approval = fields.Boolean(
        "Purchase Approval Tickets",
        help="Purchase orders that need an approval run a CrossDept flow before they "
        "can be confirmed.",
    )
    crossdept_purchase_threshold = fields.Monetary(
        "Approval Threshold",
        currency_field="currency_id",
        help="Orders whose total, taxes included, in the company currency, reaches this "
        "amount need an approval, confirmed orders that grow to it included.",
    )
    crossdept_purchase_categ_ids = fields.Many2many(
        "product.category",
        "res_company_crossdept_purchase_categ_rel",
        "company_id",
        "categ_id",
        string="Approval Categories",
        help="Orders with a product of these categories (or their subcategories) need "
        "an approval whatever their amount.",
    )
    crossdept_purchase_tolerance = fields.Float(
        "Change Tolerance (%)",
        default=0.0,
        help="After an order was submitted, its lines may grow, taxes included, by this "
        "share of the submitted total without a new approval; more, or another vendor, "
        "runs the approval flow again. 0 means any growth needs a new approval.",
    )
    crossdept_purchase_type_id = fields.Many2one(
        "crossdept.ticket.type",
        "Approval Ticket Type",
        help="Type of the approval tickets; it selects the flow when none is set.",
    )
    crossdept_purchase_flow_id = fields.Many2one(
        "crossdept.flow",
        "Approval Flow",
        help="Flow the approval tickets run. Once a new version of it is activated, "
        "tickets run that version. Empty: the most specific active flow of the ticket type.",
    )

    @api.constrains("crossdept_purchase_tolerance")
    def _check_crossdept_purchase_tolerance(self):
        for company in self:
            if not 0 <= company.crossdept_purchase_tolerance <= 100:
                raise ValidationError(
                    self.env._(
                        "The purchase change tolerance of %(company)s must lie between 0 and "
                        "100%% (%(value)s).",
                        company=company.name,
                        value=company.crossdept_purchase_tolerance,
                    )
                )

    @api.constrains("crossdept_purchase_threshold")
    def _check_crossdept_purchase_threshold(self):
        for company in self:
            if company.crossdept_purchase_threshold < 0:
                raise ValidationError(
                    self.env._(
                        "The purchase approval threshold of %(company)s cannot be negative "
                        "(%(amount)s).",
                        company=company.name,
                        amount=company.crossdept_purchase_threshold,
                    )
                )

    @api.constrains("crossdept_purchase_flow_id", "crossdept_purchase_type_id")
    def _check_crossdept_purchase_flow(self):
        # flows and types are CrossDept configuration that the settings only point to
        for company in self.sudo():
            flow = company.crossdept_purchase_flow_id
            ticket_type = company.crossdept_purchase_type_id
            if ticket_type.company_id and ticket_type.company_id != company:
                raise ValidationError(
                    self.env._(
                        "Ticket type %(type)s belongs to %(other)s, not to %(company)s.",
                        type=ticket_type.display_name,
                        other=ticket_type.company_id.name,
                        company=company.name,
                    )
                )
            if not flow:
                continue
            if flow.state != "active":
                raise UserError(
                    self.env._(
                        "Flow %(flow)s is not active: activate it before choosing it for "
                        "the purchase approvals of %(company)s.",
                        flow=flow.display_name,
                        company=company.name,
                    )
                )
            if flow.company_id and flow.company_id != company:
                raise ValidationError(
                    self.env._(
                        "Flow %(flow)s belongs to %(other)s, not to %(company)s.",
                        flow=flow.display_name,
                        other=flow.company_id.name,
                        company=company.name,
                    )
                )
            if flow.type_ids and ticket_type not in flow.type_ids:
                raise ValidationError(
                    self.env._(
                        "Flow %(flow)s does not serve tickets of type %(type)s: choose one "
                        "of its types (%(types)s) as the approval ticket type.",
                        flow=flow.display_name,
                        type=ticket_type.display_name or "-",
                        types=", ".join(flow.type_ids.mapped("display_name")),
                    )
                )

    def _crossdept_purchase_flow(self):
        """The flow approval tickets of this company run: the configured flow, or
        the active version of it when a newer version has replaced it; an empty
        recordset lets the ticket pick the active flow of its type."""
        self.ensure_one()
        Flow = self.env["crossdept.flow"].sudo()
        flow = self.sudo().crossdept_purchase_flow_id
        if not flow:
            if not Flow._active_for(self.crossdept_purchase_type_id, self):
                raise UserError(
                    self.env._(
                        "No active CrossDept flow serves %(type)s tickets in %(company)s: "
                        "choose an approval flow in the Purchase settings.",
                        type=self.sudo().crossdept_purchase_type_id.display_name or "-",
                        company=self.name,
                    )
                )
            return flow
        if flow.state == "active":
            return flow
        current = Flow.search(
            [
                ("code", "=", flow.code),
                ("company_id", "=", flow.company_id.id),
                ("state", "=", "active"),
            ],
            order="version desc",
            limit=1,
        )
        if not current:
            raise UserError(
                self.env._(
                    "Flow %(flow)s, set for the purchase approvals of %(company)s, is not "
                    "active and has no active version: activate it or choose another flow "
                    "in the Purchase settings.",
                    flow=flow.display_name,
                    company=self.name,
                )
            )
        return current
