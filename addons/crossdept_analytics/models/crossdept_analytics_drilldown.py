from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date

from .crossdept_analytics_kpi import (
    KPI_FACT_FILTER,
    KPI_FACT_GROUP,
)


class CrossdeptAnalyticsKpi(models.AbstractModel):
    """What the dashboard opens: exactly the records a tile, bar or row counts."""

    _inherit = "crossdept.analytics.kpi"

    # ------------------------------------------------------------------
    # What the dashboard opens
    # ------------------------------------------------------------------

    @api.model
    def _overdue_domain(self, filters):
        """The live tickets the open overdue tile counts, in the terms of the facets
        its list opens with (the handling department, as in the ticket facts)."""
        return [("is_overdue", "=", True), *self._overdue_scope(filters)]

    @api.model
    def _overdue_scope(self, filters):
        """The tickets of the companies and the dashboard's filters, late or not."""
        domain = [("company_id", "in", self.env.companies.ids)]
        if filters.get("department_id"):
            domain.append(("handling_department_id", "=", filters["department_id"]))
        if filters.get("flow_id"):
            domain.append(("flow_id", "=", filters["flow_id"]))
        return domain

    @api.model
    def _open_overdue_count(self, filters):
        """The open overdue tile: the tickets of ``_overdue_domain`` the reader may
        open, counted as the Overdue filter lists them (crossdept.ticket
        ``_search_is_overdue``: the few late open tickets found first by their
        deadline and read by their row addresses, then the reader's record rules
        checked on each of them). The rules and the active test apply as to any
        search."""
        query = self.env["crossdept.ticket"]._search(self._overdue_domain(filters))
        return self.env.execute_query(query.select(SQL("count(*)")))[0][0]

    @api.model
    def _alert_domain(self, filters):
        domain = [("state", "=", "open")]
        for column in ("department_id", "flow_id"):
            if filters.get(column):
                domain.append((column, "=", filters[column]))
        return domain

    @api.model
    def _drill_context(self, model, date_from, date_to, filters, department_field):
        """The search facets of what a tile, bar or row opens: its period and the
        dashboard's filters, shown as chips the reader sees and may remove
        ("Period: 2026-11-07 ~ 2026-12-06", "Handled by: IT"). An action's own
        domain would restrict the list unseen."""
        context = {"create": False}
        if date_from:
            context["search_default_date_range"] = self.env[model]._date_range_value(
                date_from, date_to
            )
        if filters.get("department_id"):
            context[f"search_default_{department_field}"] = filters["department_id"]
        if filters.get("flow_id"):
            context["search_default_flow_id"] = filters["flow_id"]
        return context

    @api.model
    def action_open_kpi(
        self,
        kpi,
        date_from,
        date_to,
        department_id=False,
        flow_id=False,
        without_department=False,
    ):
        """The records a tile or a bar counts: the ticket facts of the window the
        KPI is measured on (grouped by what a rate counts), or, for open overdue
        tickets, the live tickets themselves; every restriction is a facet.
        ``without_department``: the facts no department handles (a bar of the
        tickets per department)."""
        self._check_kpis([kpi])
        filters = self._dashboard_filters(department_id, flow_id)
        label = self._kpi_label(kpi)
        if kpi == "open_overdue":
            context = self._drill_context(
                "crossdept.ticket", False, False, filters, "handling_department_id"
            )
            return {
                "type": "ir.actions.act_window",
                "name": label,
                "res_model": "crossdept.ticket",
                "views": [[False, "list"], [False, "form"]],
                "domain": [("company_id", "in", self.env.companies.ids)],
                "context": {**context, "search_default_overdue": 1},
            }
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        context = self._drill_context(
            "crossdept.analytics.ticket", date_from, date_to, filters, "department_id"
        )
        if without_department:
            context["search_default_no_department"] = 1
        if KPI_FACT_FILTER.get(kpi):
            context[f"search_default_{KPI_FACT_FILTER[kpi]}"] = 1
        if kpi in KPI_FACT_GROUP:
            context["group_by"] = [KPI_FACT_GROUP[kpi]]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(kpi)s: %(start)s to %(end)s",
                kpi=label,
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            "res_model": "crossdept.analytics.ticket",
            "views": [
                [
                    self.env.ref("crossdept_analytics.crossdept_analytics_ticket_view_list").id,
                    "list",
                ],
                [False, "pivot"],
                [False, "graph"],
            ],
            "domain": [("company_id", "in", self.env.companies.ids)],
            "context": context,
        }

    @api.model
    def action_open_bottleneck(
        self, flow_step_id, date_from, date_to, department_id=False, flow_id=False
    ):
        """The finished step instances a bottleneck row sums; its department is the
        step's, every restriction a facet."""
        filters = self._dashboard_filters(department_id, flow_id)
        step = self.env["crossdept.flow.step"].browse(int(flow_step_id))
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        context = self._drill_context(
            "crossdept.analytics.step", date_from, date_to, filters, "department_id"
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(step)s: %(start)s to %(end)s",
                step=step.name,
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            "res_model": "crossdept.analytics.step",
            "views": [
                [self.env.ref("crossdept_analytics.crossdept_analytics_step_view_list").id, "list"],
                [False, "pivot"],
                [False, "graph"],
            ],
            "domain": [("company_id", "in", self.env.companies.ids)],
            "context": {
                **context,
                "search_default_flow_step_id": step.id,
                "search_default_done": 1,
            },
        }

    @api.model
    def action_open_alerts(self, department_id=False, flow_id=False):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_analytics.crossdept_health_alert_action"
        )
        filters = self._dashboard_filters(department_id, flow_id)
        context = self._drill_context(
            "crossdept.health.alert", False, False, filters, "department_id"
        )
        del context["create"]
        action["domain"] = []
        action["context"] = {**context, "search_default_open": 1}
        return action

    @api.model
    @api.readonly
    def get_bottlenecks(self, date_from=None, date_to=None, limit=5, filters=None):
        """The flow steps taking the largest share of the handling time of the
        period's finished steps (working hours, on hold left out; README,
        "Durations"), with their average handling and on-hold working hours and
        their average clock hours from ready to started and from started to done.

        Read from the daily and monthly sums of the finished steps
        (crossdept.analytics.step.day): the same figures as aggregating the step
        facts of the period, from the month rows of its whole months and the day
        rows of its other days instead of every step instance. ``filters``: the step's
        department and flow version."""
        date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=89)
        # the month rows of the period's whole months, the day rows of its other days
        _spans, period_rows = self._daily_spans([(date_from, date_to)])
        self.env.cr.execute(
            SQL(
                """
                SELECT g.flow_step_id,
                       sum(g.step_count)::bigint,
                       sum(g.waiting_hours) / NULLIF(sum(g.waiting_count), 0),
                       sum(g.working_hours) / NULLIF(sum(g.working_count), 0),
                       100.0 * sum(g.handling_time)
                           / NULLIF(sum(sum(g.handling_time)) OVER (), 0),
                       sum(g.handling_hours) / NULLIF(sum(g.measured_count), 0),
                       sum(g.hold_hours) / NULLIF(sum(g.measured_count), 0)
                  FROM crossdept_analytics_step_day g
                 WHERE g.company_id IN %(companies)s
                   AND %(period_rows)s
                   AND %(filters)s
                   AND %(rules)s
                 GROUP BY g.flow_step_id
                 ORDER BY sum(g.handling_time) DESC NULLS LAST, g.flow_step_id
                 LIMIT %(limit)s
                """,
                companies=tuple(self.env.companies.ids),
                period_rows=period_rows,
                filters=self._filter_condition(filters, "g"),
                # the steps of the tickets the reader may see (record rules)
                rules=self._rule_condition("crossdept.analytics.step.day", "g"),
                limit=limit,
            )
        )
        rows = self.env.cr.fetchall()
        # the flow step's name in the reader's language, and its flow version: two
        # versions of a flow have steps of the same name
        steps = {
            step.id: step
            for step in self.env["crossdept.flow.step"].search_fetch(
                [("id", "in", [row[0] for row in rows])], ["name", "flow_id"]
            )
        }
        # a flow step gone since the facts' refresh: the name its instances keep
        # (read only then: extracting it from every row of the period costs more
        # than summing them)
        names = {}
        if missing := [row[0] for row in rows if row[0] not in steps]:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT g.flow_step_id, min(g.name->>'en_US')
                      FROM crossdept_analytics_step_day g
                     WHERE g.flow_step_id = ANY(%(missing)s)
                       AND g.company_id IN %(companies)s
                       AND %(period_rows)s
                       AND %(filters)s
                       AND %(rules)s
                     GROUP BY g.flow_step_id
                    """,
                    missing=missing,
                    companies=tuple(self.env.companies.ids),
                    period_rows=period_rows,
                    filters=self._filter_condition(filters, "g"),
                    rules=self._rule_condition("crossdept.analytics.step.day", "g"),
                )
            )
            names = dict(self.env.cr.fetchall())
        return [
            {
                "flow_step_id": step_id,
                "name": steps[step_id].name if step_id in steps else names.get(step_id),
                "flow": steps[step_id].flow_id.display_name if step_id in steps else "",
                "count": count,
                "waiting_hours": waiting,
                "working_hours": working,
                "share": share,
                "handling_hours": handling,
                "hold_hours": hold,
            }
            for step_id, count, waiting, working, share, handling, hold in rows
        ]
