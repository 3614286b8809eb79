import json
import os
import sqlite3
import tempfile
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta
from itertools import count, pairwise

import pm4py
from freezegun import freeze_time
from pm4py.objects.ocel.validation import ocel20_rel_validation

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

# what the export is expected to do, written out here rather than read from it:
# the XES lifecycle transition of the step events that have one
LIFECYCLE = {
    "step_ready": "schedule",
    "step_start": "start",
    "step_done": "complete",
    "step_skip": "autoskip",
    "step_cancel": "pi_abort",
    "assign": "assign",
    "transfer": "reassign",
    "approver_hand_over": "reassign",
}
START = datetime(2024, 3, 4, 8, 0)
ROUTE = "/crossdept_analytics/process_mining"


@tagged("post_install", "-at_install")
class TestProcessMiningExport(HttpCase, CrossdeptFlowCase):
    """Tickets walked through a flow by the engine (approvals, a refusal that
    returns to an earlier step, a reassignment, a cancel), exported through the
    route as a department manager in the three formats, read back with pm4py and
    compared with what the database holds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        flow, steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {"name": "Check", "preds": ["Prepare"]},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                },
                {"name": "Deliver", "preds": ["Check", "Approve"]},
            ],
            activate=False,
        )
        steps["Approve"].write(
            {"reject_action": "return", "reject_return_step_id": steps["Prepare"].id}
        )
        flow.action_activate()
        cls.flow = flow
        cls.clock = (START + timedelta(minutes=10 * n) for n in count())

        # approvals, and a refusal that sends the ticket back to Prepare
        cls.refused = cls._start()
        cls._work_next_ticks(cls.refused, "Prepare")
        cls._work_next_ticks(cls.refused, "Check")
        cls._decide(cls.refused, cls.approver_1, "approve")
        cls._decide(cls.refused, cls.approver_2, "reject", "The figures are missing")
        cls._work_next_ticks(cls.refused, "Prepare")
        cls._work_next_ticks(cls.refused, "Check")
        cls._decide(cls.refused, cls.approver_1, "approve")
        cls._decide(cls.refused, cls.approver_2, "approve")
        cls._work_next_ticks(cls.refused, "Deliver")

        # the department manager takes Prepare over
        cls.reassigned = cls._start()
        with freeze_time(next(cls.clock)):
            cls._step(cls.reassigned, "Prepare").with_user(cls.it_manager).action_reassign(
                cls.it_manager, "Knows the customer"
            )
        cls._work_next_ticks(cls.reassigned, "Prepare", cls.it_manager)
        cls._decide(cls.reassigned, cls.approver_1, "approve")
        cls._work_next_ticks(cls.reassigned, "Check")
        cls._decide(cls.reassigned, cls.approver_2, "approve")
        cls._work_next_ticks(cls.reassigned, "Deliver")

        # cancelled by its requester after the first step
        cls.cancelled = cls._start()
        cls._work_next_ticks(cls.cancelled, "Prepare")
        with freeze_time(next(cls.clock)):
            cls.cancelled.with_user(cls.it_user).action_cancel()

        # Finance's own ticket, on a flow of Finance's steps: the IT manager does not
        # see it
        finance_flow, _steps = cls._make_flow(
            [{"name": "Book", "department_id": cls.dept_finance.id, "user": cls.finance_user}]
        )
        cls.hidden = cls._start(
            finance_flow,
            department_id=cls.dept_finance.id,
            assigned_department_id=cls.dept_finance.id,
            requester_id=cls.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": cls.finance_user.id})],
        )
        # two days later, a ticket on the flow's second version
        cls.clock = (START + timedelta(days=2, minutes=10 * n) for n in count())
        with freeze_time(next(cls.clock)):
            version = flow.browse(flow.action_new_version()["res_id"])
            version.action_activate()
        cls.version_2 = version
        cls.second = cls._start(flow=version)
        cls._work_next_ticks(cls.second, "Prepare")
        cls.env.flush_all()

    @classmethod
    def _start(cls, flow=None, **vals):
        with freeze_time(next(cls.clock)):
            return cls._run(flow or cls.flow, **vals)

    @classmethod
    def _work_next_ticks(cls, ticket, name, user=None):
        """Start and finish the step at the clock's next two ticks."""
        cls._work(ticket, name, next(cls.clock), next(cls.clock), user)

    @classmethod
    def _decide(cls, ticket, user, decision, reason=None):
        step = cls._step(ticket, "Approve").with_user(user)
        with freeze_time(next(cls.clock)):
            if decision == "approve":
                step.action_approve()
            else:
                step.action_reject(reason)

    # ------------------------------------------------------------------
    # what the database holds
    # ------------------------------------------------------------------

    def _events(self, tickets):
        """The events of ``tickets`` in the order they happened, with their step's
        name."""
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, t.name, e.event_type, e.to_state, s.name->>'en_US',
                       e.event_date, e.actor_id
                  FROM crossdept_ticket_event e
                  JOIN crossdept_ticket t ON t.id = e.ticket_id
                  LEFT JOIN crossdept_ticket_step s ON s.id = e.step_id
                 WHERE e.ticket_id IN %s
              ORDER BY e.ticket_id, e.event_date, e.id
                """,
                tuple(tickets.ids),
            )
        )
        return self.env.cr.fetchall()

    def _count(self, query, tickets):
        self.env.cr.execute(SQL(query, ids=tuple(tickets.ids)))
        return self.env.cr.fetchone()[0]

    def _objects(self, tickets):
        """Objects per type that the export must hold for ``tickets``: the tickets,
        all their steps (archived ones too), and every user and department that
        the tickets, their steps and their events name."""
        users = self._count(
            """
            SELECT count(DISTINCT u) FROM (
                SELECT unnest(ARRAY[actor_id, from_user_id, to_user_id]) u
                  FROM crossdept_ticket_event WHERE ticket_id IN %(ids)s
                UNION ALL
                SELECT unnest(ARRAY[requester_id, user_id]) FROM crossdept_ticket
                 WHERE id IN %(ids)s
                UNION ALL
                SELECT user_id FROM crossdept_ticket_step WHERE ticket_id IN %(ids)s
                UNION ALL
                SELECT r.user_id FROM crossdept_ticket_step_approver_rel r
                  JOIN crossdept_ticket_step s ON s.id = r.step_id
                 WHERE s.ticket_id IN %(ids)s
            ) x
            """,
            tickets,
        )
        departments = self._count(
            """
            SELECT count(DISTINCT d) FROM (
                SELECT unnest(ARRAY[from_department_id, to_department_id]) d
                  FROM crossdept_ticket_event WHERE ticket_id IN %(ids)s
                UNION ALL
                SELECT unnest(ARRAY[department_id, assigned_department_id])
                  FROM crossdept_ticket WHERE id IN %(ids)s
                UNION ALL
                SELECT department_id FROM crossdept_ticket_step WHERE ticket_id IN %(ids)s
            ) x
            """,
            tickets,
        )
        steps = self._count(
            "SELECT count(*) FROM crossdept_ticket_step WHERE ticket_id IN %(ids)s", tickets
        )
        return {"ticket": len(tickets), "step": steps, "user": users, "department": departments}

    def _relations(self, tickets):
        """Event-to-object relations: the ticket, and each object the event names."""
        return self._count(
            """
            SELECT sum(1 + num_nonnulls(step_id, actor_id, from_user_id, to_user_id,
                                        from_department_id, to_department_id, target_step_id))
              FROM crossdept_ticket_event WHERE ticket_id IN %(ids)s
            """,
            tickets,
        )

    def _named(self, tickets):
        """What pm4py keeps of the log: it drops the objects that no event names,
        and its JSON reader keeps one relation per event and object (the first
        qualifier). Returns the objects per type that events name and the number of
        (event, object) pairs."""
        self.env.cr.execute(
            SQL(
                """
                SELECT o.kind, count(DISTINCT o.oid), count(DISTINCT (e.id, o.oid))
                  FROM crossdept_ticket_event e
                 CROSS JOIN LATERAL (VALUES
                       ('ticket', e.ticket_id), ('step', e.step_id), ('step', e.target_step_id),
                       ('user', e.actor_id), ('user', e.from_user_id), ('user', e.to_user_id),
                       ('department', e.from_department_id), ('department', e.to_department_id)
                       ) o(kind, oid)
                 WHERE e.ticket_id IN %s AND o.oid IS NOT NULL
              GROUP BY o.kind
                """,
                tuple(tickets.ids),
            )
        )
        rows = self.env.cr.fetchall()
        return {kind: objects for kind, objects, _pairs in rows}, sum(row[2] for row in rows)

    @staticmethod
    def _dfg(traces):
        pairs = Counter()
        for trace in traces.values():
            pairs.update(pairwise(trace))
        return dict(pairs)

    # ------------------------------------------------------------------
    # the exports
    # ------------------------------------------------------------------

    def _get(self, path, **params):
        return self.opener.get(self.base_url() + path, params=params, timeout=60, stream=True)

    def _download(self, export_format, suffix, **params):
        self.authenticate("it_manager", "it_manager")
        response = self._get(f"{ROUTE}/{export_format}", **params)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertNotIn("Content-Length", response.headers, "the export is streamed")
        handle, path = tempfile.mkstemp(suffix=suffix)
        with os.fdopen(handle, "wb") as file:
            for chunk in response.iter_content(65536):
                file.write(chunk)
        self.addCleanup(os.unlink, path)
        return path

    def _visible(self):
        return self.refused | self.reassigned | self.cancelled

    def test_xes_cases_events_and_directly_follows_graph(self):
        path = self._download("xes", ".xes", version_id=self.flow.id)
        log = pm4py.read_xes(path)
        tickets = self._visible()
        rows = self._events(tickets)
        labels = dict(self.env["crossdept.ticket.event"]._fields["event_type"].selection)
        traces = {}
        for _id, ticket, event_type, to_state, step, _date, _actor in rows:
            if step and event_type in LIFECYCLE:
                activity = step
            elif step:
                activity = f"{step} ({labels[event_type]})"
            elif event_type == "state":
                activity = f"{labels[event_type]}: {to_state}"
            else:
                activity = labels[event_type]
            traces.setdefault(ticket, []).append(activity)
        self.assertEqual(set(log["case:concept:name"]), set(tickets.mapped("name")))
        self.assertNotIn(self.hidden.name, set(log["case:concept:name"]))
        self.assertEqual(len(log), len(rows))
        dfg, starts, ends = pm4py.discover_dfg(log)
        self.assertEqual(dict(dfg), self._dfg(traces))
        self.assertEqual(dict(starts), dict(Counter(t[0] for t in traces.values())))
        self.assertEqual(dict(ends), dict(Counter(t[-1] for t in traces.values())))
        # the refusal and its return, with their reason, in the refused ticket's trace
        refused = log[log["case:concept:name"] == self.refused.name]
        refusal = refused[refused["concept:name"] == "Approve (Step rejected)"]
        self.assertEqual(refusal["org:resource"].tolist(), [self.approver_2.name])
        self.assertEqual(refusal["crossdept:reason"].tolist(), ["The figures are missing"])
        # the reassignment, and the work of the one who took it over
        taken = log[log["case:concept:name"] == self.reassigned.name]
        starts = taken[
            (taken["concept:name"] == "Prepare") & (taken["lifecycle:transition"] == "start")
        ]
        self.assertEqual(starts["org:resource"].tolist(), [self.it_manager.name])
        self.assertIn("reassign", taken["lifecycle:transition"].tolist())
        # timestamps in UTC, as the clock stood
        first = log[log["case:concept:name"] == self.refused.name]["time:timestamp"].min()
        self.assertEqual(first.tz_convert("UTC").to_pydatetime().replace(tzinfo=None), START)

    def test_ocel_json_events_objects_and_relations(self):
        path = self._download("ocel_json", ".json", flow_id=self.flow.id, date_to="2024-03-04")
        ocel = pm4py.read_ocel2_json(path)
        tickets = self._visible()
        rows = self._events(tickets)
        self.assertEqual(len(ocel.events), len(rows))
        self.assertEqual(Counter(ocel.events["ocel:activity"]), Counter(row[2] for row in rows))
        # the file holds every object of the tickets, and every relation
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        objects = Counter(o["type"] for o in document["objects"])
        self.assertEqual(dict(objects), self._objects(tickets))
        relations = sum(len(e["relationships"]) for e in document["events"])
        self.assertEqual(relations, self._relations(tickets))
        named, pairs = self._named(tickets)
        self.assertEqual(dict(Counter(ocel.objects["ocel:type"])), named)
        self.assertEqual(len(ocel.relations), pairs)
        # the ticket's state as it changed, at the time it changed
        changes = ocel.object_changes
        state_changes = changes[
            (changes["ocel:type"] == "ticket") & (changes["ocel:field"] == "state")
        ]
        self.assertEqual(len(state_changes), Counter(row[2] for row in rows)["state"])
        # each step belongs to its ticket
        part_of = ocel.o2o[ocel.o2o["ocel:qualifier"] == "part of"]
        self.assertEqual(len(part_of), named["step"])
        # flattened on tickets, the event types follow each other as in the database
        flat = pm4py.ocel_flattening(ocel, "ticket")
        dfg, _starts, _ends = pm4py.discover_dfg(flat)
        traces = {}
        for _id, ticket, event_type, *_rest in rows:
            traces.setdefault(ticket, []).append(event_type)
        self.assertEqual(dict(dfg), self._dfg(traces))

    def test_ocel_sqlite_follows_the_standard_schema(self):
        path = self._download("ocel_sqlite", ".sqlite", flow_id=self.flow.id)
        _satisfied, unsatisfied = ocel20_rel_validation.apply(path)
        self.assertEqual(unsatisfied, [])
        ocel = pm4py.read_ocel2_sqlite(path)
        tickets = self._visible() | self.second
        rows = self._events(tickets)
        self.assertEqual(len(ocel.events), len(rows))
        with closing(sqlite3.connect(path)) as conn:
            objects = dict(conn.execute("SELECT ocel_type, count(*) FROM object GROUP BY 1"))
            relations = conn.execute("SELECT count(*) FROM event_object").fetchone()[0]
        self.assertEqual(objects, self._objects(tickets))
        self.assertEqual(relations, self._relations(tickets))
        named, _pairs = self._named(tickets)
        self.assertEqual(dict(Counter(ocel.objects["ocel:type"])), named)
        self.assertEqual(len(ocel.relations), relations)
        returned = ocel.relations[ocel.relations["ocel:qualifier"] == "returned to"]
        prepare = self._step(self.refused, "Prepare")
        self.assertEqual(returned["ocel:oid"].tolist(), [f"step/{prepare.id}"])

    def test_filters_select_version_period_and_department(self):
        Export = self.env["crossdept.process.mining.export"].with_user(self.it_manager)

        def cases(**filters):
            chunks = Export._xes_chunks(Export._parse_filters(filters))
            path = os.path.join(tempfile.mkdtemp(), "log.xes")
            with open(path, "wb") as file:
                file.writelines(chunks)
            self.addCleanup(os.unlink, path)
            return set(pm4py.read_xes(path)["case:concept:name"])

        names = self._visible().mapped("name")
        self.assertEqual(cases(flow_id=self.flow.id), {*names, self.second.name})
        self.assertEqual(cases(version_id=self.version_2.id), {self.second.name})
        self.assertEqual(cases(flow_id=self.flow.id, date_from="2024-03-06"), {self.second.name})
        self.assertEqual(
            cases(flow_id=self.flow.id, department_id=self.dept_it.id), {*names, self.second.name}
        )
        # record rules apply: Finance's ticket is left out for the IT manager, not
        # for an administrator
        finance = {"department_id": self.dept_finance.id}
        self.assertNotIn(self.hidden.name.encode(), b"".join(Export._xes_chunks(finance)))
        admin = self.env["crossdept.process.mining.export"]
        self.assertIn(self.hidden.name.encode(), b"".join(admin._xes_chunks(finance)))

    def test_a_user_without_analytics_rights_is_refused(self):
        self.authenticate("it_user", "it_user")
        response = self._get(f"{ROUTE}/xes", flow_id=self.flow.id)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Only analytics managers", response.text)
        Export = self.env["crossdept.process.mining.export"].with_user(self.it_user)
        with self.assertRaisesRegex(AccessError, "Only analytics managers"):
            next(Export._ocel_json_chunks({}))
        wizard = self.env["crossdept.process.mining.export.wizard"].with_user(self.it_manager)
        action = wizard.create(
            {"export_format": "xes", "version_id": self.flow.id, "run_in_background": False}
        )
        self.assertEqual(action.action_export()["url"], f"{ROUTE}/xes?version_id={self.flow.id}")

    def test_bad_filters_are_named(self):
        self.authenticate("it_manager", "it_manager")
        response = self._get(f"{ROUTE}/ocel_json", date_from="2024-03-05", date_to="2024-03-04")
        self.assertEqual(response.status_code, 400)
        self.assertIn("The export period ends before it starts.", response.text)
        response = self._get(f"{ROUTE}/csv")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Unknown export format csv", response.text)
        response = self._get(f"{ROUTE}/xes", flow_id="seven")
        self.assertEqual(response.status_code, 400)
        self.assertIn("The export filters are not valid", response.text)
        response = self._get(f"{ROUTE}/xes", version_id=0 - self.flow.id)
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "The export filter version_id names a record that does not exist", response.text
        )
