"""Before the models load: the participants of every ticket (the table the new record
rules read), filled with one INSERT instead of a recompute of every ticket."""

from odoo.tools import SQL
from odoo.tools.sql import table_exists

from odoo.addons.crossdept_ticket.models.crossdept_ticket_participant import (
    participants_query,
)


def migrate(cr, version):
    if not version or table_exists(cr, "crossdept_ticket_participant_rel"):
        return
    # the table as the ORM makes a many2many's (it adds the foreign keys itself)
    cr.execute(
        SQL(
            """
            CREATE TABLE crossdept_ticket_participant_rel (
                ticket_id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                PRIMARY KEY (ticket_id, user_id)
            );
            COMMENT ON TABLE crossdept_ticket_participant_rel
                IS 'RELATION BETWEEN crossdept_ticket AND res_users';
            CREATE INDEX ON crossdept_ticket_participant_rel (user_id, ticket_id);
            """
        )
    )
    cr.execute(participants_query())
    cr.execute(SQL("ANALYZE crossdept_ticket_participant_rel"))
