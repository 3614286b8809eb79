"""The facts became tables refreshed incrementally (their init() replaced the
materialized views): the refresh cron, kept by noupdate, runs every 5 minutes
instead of every hour, unless someone changed its schedule."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE ir_cron c
               SET interval_number = 5, interval_type = 'minutes'
              FROM ir_model_data d
             WHERE d.module = 'crossdept_analytics'
               AND d.name = 'ir_cron_crossdept_analytics_refresh'
               AND d.model = 'ir.cron'
               AND c.id = d.res_id
               AND c.interval_number = 1
               AND c.interval_type = 'hours'
            """
        )
    )
