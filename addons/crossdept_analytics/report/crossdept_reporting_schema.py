"""The reporting schema: read-only views for BI tools, in their own PostgreSQL
schema, with column names that stay stable from one version to the next.

Superset, Metabase or Power BI read these views through a read-only role made by
``scripts/reporting-role`` (tools/reporting_role.py), never Odoo's own tables.
A view's columns are only ever added (at the end, with a new minor version);
renaming or dropping one raises the major version. ``schema_version`` names it.

Defined in report/ and imported after the monthly KPIs: the KPI view reads their
table, whose init drops and creates it again (with what depends on it), so this
init runs after.
"""

from odoo import models
from odoo.tools import SQL

REPORTING_SCHEMA = "crossdept_reporting"
# 2.0: kpi_month's avg_hours, median_hours and p90_hours are cycle working hours
# (README "Durations"), no longer clock hours: same names, another meaning
REPORTING_VERSION = "2.0"

# name -> (description, query); every name here is a view of the schema
REPORTING_VIEWS = {
    "schema_version": (
        "Version of the CrossDept reporting schema (major.minor).",
        """
        SELECT %(version)s::text AS version,
               'crossdept_analytics'::text AS module
        """,
    ),
    "departments": (
        "Departments (dimension).",
        """
        SELECT d.id AS department_id,
               d.name->>'en_US' AS name,
               d.parent_id AS parent_department_id,
               d.company_id,
               d.active
          FROM hr_department d
        """,
    ),
    "users": (
        "Users who act on tickets (dimension): no login, no e-mail.",
        """
        SELECT u.id AS user_id,
               p.name,
               u.company_id,
               u.active
          FROM res_users u
          JOIN res_partner p ON p.id = u.partner_id
        """,
    ),
    "tickets": (
        "One row per ticket (archived ones too, active = false).",
        """
        SELECT t.id AS ticket_id,
               t.company_id,
               t.name AS reference,
               t.title,
               t.state,
               t.priority,
               t.type_id,
               tt.name->>'en_US' AS type_name,
               t.department_id AS requesting_department_id,
               t.assigned_department_id,
               t.requester_id AS requester_user_id,
               t.user_id AS assignee_user_id,
               t.partner_id AS customer_partner_id,
               t.flow_id,
               f.code AS flow_code,
               f.version AS flow_version,
               t.create_date AS created_at,
               t.date_deadline AS deadline_at,
               t.date_closed AS closed_at,
               NULLIF(t.rating_last_value, 0) AS satisfaction,
               t.active
          FROM crossdept_ticket t
     LEFT JOIN crossdept_ticket_type tt ON tt.id = t.type_id
     LEFT JOIN crossdept_flow f ON f.id = t.flow_id
        """,
    ),
    "steps": (
        "One row per step instance of a ticket's flow (cancelled and archived ones too).",
        """
        SELECT s.id AS step_id,
               s.ticket_id,
               s.company_id,
               s.flow_step_id,
               s.name->>'en_US' AS name,
               s.kind,
               s.sequence,
               s.state,
               s.approval_state,
               s.department_id,
               s.user_id AS assignee_user_id,
               s.date_ready AS ready_at,
               s.date_started AS started_at,
               s.date_done AS done_at,
               s.skip_reason,
               s.active,
               -- 1.1: working hours on the step's calendar, measured at its end
               CASE WHEN s.date_measured IS NOT NULL THEN s.handling_hours END
                   AS handling_hours,
               CASE WHEN s.date_measured IS NOT NULL THEN s.hold_hours END AS hold_hours
          FROM crossdept_ticket_step s
        """,
    ),
    "events": (
        "The engine's append-only event log, one row per event.",
        """
        SELECT e.id AS event_id,
               e.ticket_id,
               e.company_id,
               e.step_id,
               e.event_type,
               e.event_date AS event_at,
               e.actor_id AS actor_user_id,
               e.from_state,
               e.to_state,
               e.from_user_id,
               e.to_user_id,
               e.from_department_id,
               e.to_department_id,
               e.target_step_id,
               e.reason
          FROM crossdept_ticket_event e
        """,
    ),
    "approvals": (
        "One row per approver's decision on an approval step (withdrawn ones: active = false).",
        """
        SELECT d.id AS decision_id,
               d.step_id,
               s.ticket_id,
               d.company_id,
               d.user_id AS approver_user_id,
               d.decision,
               d.reason,
               d.date AS decided_at,
               d.active
          FROM crossdept_ticket_step_decision d
          JOIN crossdept_ticket_step s ON s.id = d.step_id
        """,
    ),
    "sla": (
        "Deadline of each step with a deadline, and whether it was (or is being) missed.",
        """
        SELECT s.id AS step_id,
               s.ticket_id,
               s.company_id,
               s.sla_hours,
               s.sla_paused_hours,
               s.date_deadline AS deadline_at,
               s.date_done AS done_at,
               s.sla_status,
               COALESCE(s.date_done, now() AT TIME ZONE 'UTC') > s.date_deadline AS breached,
               GREATEST(EXTRACT(EPOCH FROM COALESCE(s.date_done, now() AT TIME ZONE 'UTC')
                                           - s.date_deadline) / 3600.0, 0) AS hours_late
          FROM crossdept_ticket_step s
         WHERE s.date_deadline IS NOT NULL
        """,
    ),
    # 1.2: the effort people log on steps (touch time)
    "effort": (
        "Effort logged on steps, one row per line "
        "(a running timer: hours 0, timer_started_at set).",
        """
        SELECT e.id AS effort_id,
               e.step_id,
               e.ticket_id,
               e.company_id,
               e.user_id,
               e.date AS work_date,
               e.duration AS hours,
               e.description,
               e.timer_start AS timer_started_at,
               e.create_date AS logged_at
          FROM crossdept_ticket_step_effort e
        """,
    ),
    "kpi_month": (
        "Monthly KPIs per scope, as of the analytics facts' last refresh (every 5 minutes).",
        """
        SELECT k.month,
               k.scope,
               k.company_id,
               k.department_id,
               k.flow_id,
               k.type_id,
               k.ticket_count,
               k.closed_count,
               k.rated_count,
               -- 2.0: the tickets' cycle working hours (README, "Durations")
               k.avg_hours,
               k.median_hours,
               k.p90_hours,
               k.on_time_rate,
               k.transfer_rate,
               k.reopen_rate,
               k.satisfaction
          FROM crossdept_analytics_kpi_month k
        """,
    ),
}


class CrossdeptReportingSchema(models.AbstractModel):
    _name = "crossdept.reporting.schema"
    _description = "Reporting Schema for BI Tools"

    def init(self):
        """(Re)create the schema's views at install and update. Every role with
        USAGE on the schema (granted by scripts/reporting-role) gets SELECT on the
        views again, as the default privileges the script set would give them."""
        cr = self.env.cr
        schema = SQL.identifier(REPORTING_SCHEMA)
        cr.execute(SQL("CREATE SCHEMA IF NOT EXISTS %s", schema))
        cr.execute(
            SQL(
                "COMMENT ON SCHEMA %s IS %s",
                schema,
                f"CrossDept reporting schema, version {REPORTING_VERSION}: read-only views "
                "for BI tools (see the crossdept_analytics README).",
            )
        )
        for name, (description, query) in REPORTING_VIEWS.items():
            view = SQL.identifier(REPORTING_SCHEMA, name)
            body = SQL(query, version=REPORTING_VERSION) if name == "schema_version" else SQL(query)
            cr.execute(SQL("DROP VIEW IF EXISTS %s CASCADE", view))
            cr.execute(SQL("CREATE VIEW %s AS %s", view, body))
            cr.execute(SQL("COMMENT ON VIEW %s IS %s", view, description))
        cr.execute(
            SQL(
                """
                SELECT a.grantee::regrole::text
                  FROM pg_namespace n, aclexplode(n.nspacl) a
                 WHERE n.nspname = %s AND a.privilege_type = 'USAGE'
                   AND a.grantee NOT IN (0, n.nspowner)
                """,
                REPORTING_SCHEMA,
            )
        )
        for (role,) in cr.fetchall():
            cr.execute(
                SQL(
                    "GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s",
                    schema,
                    SQL.identifier(role.strip('"')),
                )
            )

    def _drop_schema(self):
        """Drop the schema and its views (module uninstall)."""
        self.env.cr.execute(
            SQL("DROP SCHEMA IF EXISTS %s CASCADE", SQL.identifier(REPORTING_SCHEMA))
        )
