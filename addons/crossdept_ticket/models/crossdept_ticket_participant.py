from odoo import Command, api, fields, models
from odoo.tools import SQL


def participants_query(tickets=None):
    """Adds the participants of the tickets whose ids match the SQL condition
    ``tickets`` on ``t.id`` (every ticket by default), as the compute gives them:
    the backfill of the migration and of the history loaded with COPY."""
    return SQL(
        """
        INSERT INTO crossdept_ticket_participant_rel (ticket_id, user_id)
        SELECT t.id, t.requester_id FROM crossdept_ticket t
         WHERE t.requester_id IS NOT NULL AND %(where)s
         UNION
        SELECT t.id, t.user_id FROM crossdept_ticket t
         WHERE t.user_id IS NOT NULL AND %(where)s
         UNION
        SELECT t.id, r.holder_user_id
          FROM crossdept_ticket t JOIN crossdept_ticket_raci r ON r.ticket_id = t.id
         WHERE r.holder_user_id IS NOT NULL AND %(where)s
         UNION
        SELECT t.id, s.user_id
          FROM crossdept_ticket t JOIN crossdept_ticket_step s ON s.ticket_id = t.id
         WHERE s.active AND s.user_id IS NOT NULL AND %(where)s
         UNION
        SELECT t.id, a.user_id
          FROM crossdept_ticket t
          JOIN crossdept_ticket_step s ON s.ticket_id = t.id
          JOIN crossdept_ticket_step_approver_rel a ON a.step_id = s.id
         WHERE s.active AND %(where)s
        ON CONFLICT DO NOTHING
        """,
        where=tickets or SQL("TRUE"),
    )


class CrossdeptTicket(models.Model):
    """Who takes part in a ticket, kept by the engine in one indexed table that the
    record rules read: its requester, its assignee, its RACI holders, and the
    assignees and approvers of its (current run's) steps. A rule asks one indexed
    question per row (is the user a participant of this ticket?) instead of
    walking every step, RACI line and approver of every ticket."""

    _inherit = "crossdept.ticket"

    participant_user_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_participant_rel",
        "ticket_id",
        "user_id",
        string="Participants",
        compute="_compute_participant_user_ids",
        store=True,
        readonly=True,
        copy=False,
        # read by the record rules in SQL, not by the screens: not fetched with the
        # ticket's other fields
        prefetch=False,
        help="The requester, the assignee, the RACI holders and the assignees and "
        "approvers of the steps: they see the ticket.",
    )

    @api.depends(
        "requester_id",
        "user_id",
        "raci_ids.holder_user_id",
        "step_ids.active",
        "step_ids.user_id",
        "step_ids.approver_ids",
    )
    def _compute_participant_user_ids(self):
        # the steps' assignees and approvers and the RACI holders of the whole batch
        # in one read each (a filtered recordset does not prefetch for its siblings)
        self.step_ids.mapped("approver_ids")
        self.raci_ids.mapped("holder_user_id")
        values = []
        for ticket in self:
            # the steps of the current run: those of an earlier run are archived
            steps = ticket.step_ids.filtered("active")
            users = (
                ticket.requester_id
                | ticket.user_id
                | ticket.raci_ids.holder_user_id
                | steps.user_id
                | steps.approver_ids
            )
            values.append((ticket, users))
        # the relation of the whole batch in one write: assigned ticket by ticket,
        # a computed many2many writes its table once per ticket
        field = self._fields["participant_user_ids"]
        field.write_batch(
            [(ticket, [Command.set(users.ids)]) for ticket, users in values if ticket.id]
        )
        for ticket, users in values:
            if not ticket.id:
                ticket.participant_user_ids = users

    @api.model
    def _participants_query(self, tickets=None):
        """Adds the participants of the tickets matching ``tickets`` (see
        ``participants_query``)."""
        return participants_query(tickets)
