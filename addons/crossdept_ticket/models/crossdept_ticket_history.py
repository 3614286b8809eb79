from collections import defaultdict

from odoo import api, models


class CrossdeptTicket(models.Model):
    """Numbers and history of tickets: the per-company sequence and the append-only
    event log that analytics read."""

    _inherit = "crossdept.ticket"

    @api.model
    def _assign_numbers(self, vals_list):
        """Number tickets from their company's sequence, in one query per company."""
        by_company = defaultdict(list)
        # the default "New" (in the creator's language) or the former "/"
        unnumbered = {False, "/", "New", self.env._("New")}
        for vals in vals_list:
            if vals.get("name", False) in unnumbered:
                vals.pop("name", None)
                by_company[vals.get("company_id") or self.env.company.id].append(vals)
        for company_id, company_vals in by_company.items():
            sequence = self._get_sequence(self.env["res.company"].browse(company_id))
            numbers = sequence._crossdept_next_numbers(len(company_vals))
            for vals, number in zip(company_vals, numbers, strict=True):
                vals["name"] = number

    @api.model
    def _get_sequence(self, company):
        sequence_model = self.env["ir.sequence"].sudo()
        sequence = sequence_model.search(
            [("code", "=", "crossdept.ticket"), ("company_id", "=", company.id)], limit=1
        )
        if not sequence:
            # each company numbers its own tickets; new companies get a sequence on first use
            sequence = sequence_model.create(
                {
                    "name": self.env._("CrossDept tickets (%(company)s)", company=company.name),
                    "code": "crossdept.ticket",
                    "company_id": company.id,
                    "prefix": "TK%(year)s-",
                    "padding": 5,
                }
            )
        return sequence

    # ------------------------------------------------------------------
    # Event log
    # ------------------------------------------------------------------

    def _backdate_closing(self, date_closed):
        """Date the closing of done tickets in the past, as the engine: for demo data
        and histories imported from another system (nothing else moves dates)."""
        self.filtered(lambda ticket: ticket.state == "done")._engine().write(
            {"date_closed": date_closed}
        )
        return True

    def _log_events(self, vals_list, one_insert=False):
        """Append these events to the log; with ``one_insert`` (a batch of thousands:
        a cron's, a flow start's), in one INSERT (``_create_in_one_insert``)."""
        company_of = {ticket.id: ticket.company_id.id for ticket in self}
        for vals in vals_list:
            if "company_id" not in vals:
                vals["company_id"] = company_of[vals["ticket_id"]]
            vals.setdefault("reason", self.env.context.get("crossdept_reason"))
        # events are written by whoever changes the ticket; the log itself is not
        # writable by users, only appendable through this method
        Event = self.env["crossdept.ticket.event"].sudo()
        return Event._create_in_one_insert(vals_list) if one_insert else Event.create(vals_list)

    def _log_transfers(self, before):
        if self.env.context.get("crossdept_assignment_logged"):
            return
        events = []
        for ticket in self:
            old_user, old_department = before[ticket.id]
            if (old_user, old_department) == (ticket.user_id, ticket.assigned_department_id):
                continue
            moved = (old_user and old_user != ticket.user_id) or (
                old_department and old_department != ticket.assigned_department_id
            )
            events.append(
                {
                    "ticket_id": ticket.id,
                    "event_type": "transfer" if moved else "assign",
                    "from_user_id": old_user.id,
                    "to_user_id": ticket.user_id.id,
                    "from_department_id": old_department.id,
                    "to_department_id": ticket.assigned_department_id.id,
                }
            )
        if events:
            self._log_events(events)
