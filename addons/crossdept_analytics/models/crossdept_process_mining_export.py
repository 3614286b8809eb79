"""The engine's event log for process-mining tools: OCEL 2.0 (JSON and SQLite, as the
OCEL 2.0 standard defines them) and XES.

Everything is read as the requesting user, so record rules decide which tickets,
steps and events leave Odoo. Tickets are read in batches (keyset on id) and each
format is produced batch by batch: JSON and XES as chunks of bytes for a streamed
HTTP response, SQLite into a temporary file. Only users and departments, which are
few, are kept for the whole export.
"""

import json
import os
import sqlite3
import tempfile
from datetime import datetime, time, timedelta
from xml.sax.saxutils import quoteattr

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

BATCH = 500
MANAGER_GROUP = "crossdept_ticket.group_crossdept_ticket_manager"

# XES lifecycle transitions (standard lifecycle model) of the step events
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
EVENT_FIELDS = [
    "ticket_id",
    "step_id",
    "event_type",
    "event_date",
    "actor_id",
    "from_state",
    "to_state",
    "from_user_id",
    "to_user_id",
    "from_department_id",
    "to_department_id",
    "target_step_id",
    "reason",
]
# event-to-object relations: event field -> qualifier
EVENT_RELATIONS = [
    ("step_id", "step"),
    ("actor_id", "actor"),
    ("from_user_id", "from user"),
    ("to_user_id", "to user"),
    ("from_department_id", "from department"),
    ("to_department_id", "to department"),
    ("target_step_id", "returned to"),
]
EVENT_ATTRIBUTES = ["reason", "from_state", "to_state"]
OBJECT_ATTRIBUTES = {
    "ticket": [
        ("name", "string"),
        ("title", "string"),
        ("priority", "string"),
        ("flow", "string"),
        ("flow_version", "integer"),
        ("state", "string"),
    ],
    "step": [("name", "string"), ("kind", "string"), ("state", "string"), ("assignee", "string")],
    "user": [("name", "string")],
    "department": [("name", "string")],
    "lead": [("name", "string")],
    "purchase order": [("name", "string")],
}
PREFIX = {
    "crossdept.ticket": "ticket",
    "crossdept.ticket.step": "step",
    "res.users": "user",
    "hr.department": "department",
    "crm.lead": "lead",
    "purchase.order": "purchase_order",
}
EPOCH = datetime(1970, 1, 1)


def oid(record_or_model, res_id=None):
    if res_id is None:
        return f"{PREFIX[record_or_model._name]}/{record_or_model.id}"
    return f"{PREFIX[record_or_model]}/{res_id}"


def json_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def sqlite_time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S")


def xes_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def type_map(name):
    """The OCEL 2.0 SQLite table suffix of a type: letters and digits only."""
    return "".join(ch for ch in name.title() if ch.isalnum())


class CrossdeptProcessMiningExport(models.AbstractModel):
    _name = "crossdept.process.mining.export"
    _description = "Process Mining Export"

    # ------------------------------------------------------------------
    # access and selection
    # ------------------------------------------------------------------

    @api.model
    def _check_export_access(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only analytics managers (CrossDept managers) may export the event log "
                    "for process mining; ask an administrator for the Manager role."
                )
            )

    @api.model
    def _parse_filters(self, values):
        """Filters from a wizard or the query string of the export route, checked:
        flow_id (every version of that flow), version_id (one version), department_id,
        date_from and date_to (dates, both included)."""
        filters = {}
        try:
            for key in ("flow_id", "version_id", "department_id"):
                if values.get(key):
                    filters[key] = int(values[key])
            for key in ("date_from", "date_to"):
                if values.get(key):
                    filters[key] = fields.Date.to_date(values[key])
        except ValueError as error:
            raise UserError(
                self.env._("The export filters are not valid: %(error)s", error=error)
            ) from error
        if filters.get("date_from") and filters.get("date_to"):
            if filters["date_from"] > filters["date_to"]:
                raise UserError(self.env._("The export period ends before it starts."))
        # checked now, while a refusal can still be the whole answer: a streamed
        # export cannot fail half-way for a flow the user may not read
        for key, model in (
            ("flow_id", "crossdept.flow"),
            ("version_id", "crossdept.flow"),
            ("department_id", "hr.department"),
        ):
            if key in filters:
                record = self.env[model].browse(filters[key]).exists()
                if not record:
                    raise UserError(
                        self.env._(
                            "The export filter %(filter)s names a record that does not exist "
                            "(%(id)s).",
                            filter=key,
                            id=filters[key],
                        )
                    )
                record.check_access("read")
        return filters

    @api.model
    def _event_domain(self, filters):
        domain = []
        if filters.get("date_from"):
            domain.append(("event_date", ">=", datetime.combine(filters["date_from"], time.min)))
        if filters.get("date_to"):
            end = datetime.combine(filters["date_to"], time.min) + timedelta(days=1)
            domain.append(("event_date", "<", end))
        return domain

    @api.model
    def _ticket_domain(self, filters):
        domain = []
        if filters.get("flow_id"):
            flow = self.env["crossdept.flow"].browse(filters["flow_id"])
            domain += [
                ("flow_id.code", "=", flow.code),
                ("flow_id.company_id", "=", flow.company_id.id),
            ]
        if filters.get("version_id"):
            domain.append(("flow_id", "=", filters["version_id"]))
        if filters.get("department_id"):
            department = filters["department_id"]
            domain += [
                "|",
                "|",
                ("department_id", "child_of", department),
                ("assigned_department_id", "child_of", department),
                ("step_ids.department_id", "child_of", department),
            ]
        period = self._event_domain(filters)
        if period:
            domain += [("event_ids", "any", period)]
        return domain

    @api.model
    def _batches(self, filters):
        """Yield (tickets, events, steps) batch by batch, in ticket id order; the
        events of a ticket in the order they happened."""
        Ticket = self.env["crossdept.ticket"]
        Event = self.env["crossdept.ticket.event"]
        Step = self.env["crossdept.ticket.step"].with_context(active_test=False)
        domain = self._ticket_domain(filters)
        event_domain = self._event_domain(filters)
        ticket_fields = [
            "name",
            "title",
            "priority",
            "state",
            "flow_id",
            "department_id",
            "assigned_department_id",
            "requester_id",
            "user_id",
            "create_date",
        ] + [name for name in ("lead_id", "purchase_id") if name in Ticket._fields]
        step_fields = [
            "ticket_id",
            "name",
            "kind",
            "state",
            "user_id",
            "department_id",
            "approver_ids",
            "predecessor_ids",
            "create_date",
        ]
        last = 0
        while True:
            tickets = Ticket.search_fetch(
                [*domain, ("id", ">", last)], ticket_fields, order="id", limit=BATCH
            )
            if not tickets:
                return
            last = tickets[-1].id
            events = Event.search_fetch(
                [("ticket_id", "in", tickets.ids), *event_domain],
                EVENT_FIELDS,
                order="ticket_id, event_date, id",
            )
            steps = Step.search_fetch([("ticket_id", "in", tickets.ids)], step_fields, order="id")
            yield tickets, events, steps
            if job_id := self.env.context.get("crossdept_analytics_job_id"):
                # a background export: its job shows how far it got
                self.env["crossdept.analytics.job"].browse(job_id)._progress(advance=len(tickets))
            # what was read for this batch is not needed any more
            self.env.invalidate_all()

    # ------------------------------------------------------------------
    # the object-centric log, format-free
    # ------------------------------------------------------------------

    def _object_types(self):
        Ticket = self.env["crossdept.ticket"]
        types = ["ticket", "step", "user", "department"]
        if "lead_id" in Ticket._fields:
            types.append("lead")
        if "purchase_id" in Ticket._fields:
            types.append("purchase order")
        return types

    def _event_types(self):
        return [
            code
            for code, _label in self.env["crossdept.ticket.event"]._fields["event_type"].selection
        ]

    def _ocel_events(self, events, steps):
        """(id, type, time, attributes, relationships) per event; the users and
        departments they name are returned too."""
        visible_steps = set(steps.ids)
        users, departments, rows = set(), set(), []
        for event in events:
            relations = [(oid(event.ticket_id), "ticket")]
            for field, qualifier in EVENT_RELATIONS:
                record = event[field]
                if not record or (
                    record._name == "crossdept.ticket.step" and record.id not in visible_steps
                ):
                    continue
                relations.append((oid(record), qualifier))
                if record._name == "res.users":
                    users.add(record.id)
                elif record._name == "hr.department":
                    departments.add(record.id)
            attributes = [(name, event[name] or "") for name in EVENT_ATTRIBUTES]
            rows.append(
                (
                    f"event/{event.id}",
                    event.event_type,
                    event.event_date,
                    attributes,
                    list(dict.fromkeys(relations)),
                )
            )
        return rows, users, departments

    def _ocel_objects(self, tickets, events, steps):
        """(id, type, [(attribute, time, value)], relationships) per ticket, step,
        lead and purchase order of the batch; the users and departments they name
        are returned too. A tracked attribute (state, assignee) starts with its value
        when the object was created and changes when an event changed it."""
        users, departments, rows = set(), set(), []
        by_ticket, by_step = {}, {}
        for event in events:
            by_ticket.setdefault(event.ticket_id.id, []).append(event)
            if event.step_id:
                by_step.setdefault(event.step_id.id, []).append(event)
        lead_ids, purchase_ids = set(), set()
        for ticket in tickets:
            created = self._created(ticket, by_ticket.get(ticket.id))
            flow = ticket.flow_id
            state_events = [e for e in by_ticket.get(ticket.id, []) if e.event_type == "state"]
            states = [(created, state_events[0].from_state if state_events else ticket.state)]
            states += [(e.event_date, e.to_state) for e in state_events]
            attributes = [
                ("name", created, ticket.name),
                ("title", created, ticket.title),
                ("priority", created, ticket.priority),
                ("flow", created, flow.name or ""),
                ("flow_version", created, flow.version or 0),
            ] + [("state", when, value) for when, value in states]
            relations = []
            for field, qualifier in (
                ("requester_id", "requester"),
                ("user_id", "assigned to"),
                ("department_id", "requesting department"),
                ("assigned_department_id", "assigned department"),
            ):
                record = ticket[field]
                if record:
                    relations.append((oid(record), qualifier))
                    (users if record._name == "res.users" else departments).add(record.id)
            if "lead_id" in ticket._fields and ticket.lead_id:
                relations.append((oid("crm.lead", ticket.lead_id.id), "lead"))
                lead_ids.add(ticket.lead_id.id)
            if "purchase_id" in ticket._fields and ticket.purchase_id:
                relations.append((oid("purchase.order", ticket.purchase_id.id), "purchase order"))
                purchase_ids.add(ticket.purchase_id.id)
            rows.append((oid(ticket), "ticket", attributes, relations))
        step_ids = set(steps.ids)
        for step in steps:
            created = self._created(step, by_step.get(step.id))
            history = by_step.get(step.id, [])
            states, assignees = [(created, "pending")], []
            for event in history:
                if (
                    event.to_state
                    and event.event_type.startswith("step_")
                    and event.to_state != states[-1][1]
                ):
                    states.append((event.event_date, event.to_state))
                if event.event_type in ("assign", "transfer"):
                    if not assignees:
                        assignees.append((created, event.from_user_id.name or ""))
                    assignees.append((event.event_date, event.to_user_id.name or ""))
            if not assignees:
                assignees = [(created, step.user_id.name or "")]
            attributes = [
                ("name", created, step.name),
                ("kind", created, step.kind or ""),
                *(("state", when, value) for when, value in states),
                *(("assignee", when, value) for when, value in assignees),
            ]
            relations = [(oid(step.ticket_id), "part of")]
            if step.department_id:
                relations.append((oid(step.department_id), "performed by"))
                departments.add(step.department_id.id)
            if step.user_id:
                relations.append((oid(step.user_id), "assigned to"))
                users.add(step.user_id.id)
            for approver in step.approver_ids:
                relations.append((oid(approver), "approver"))
                users.add(approver.id)
            for predecessor in step.predecessor_ids:
                if predecessor.id in step_ids:
                    relations.append((oid(predecessor), "follows"))
            rows.append((oid(step), "step", attributes, list(dict.fromkeys(relations))))
        rows += self._named_objects("crm.lead", "lead", lead_ids)
        rows += self._named_objects("purchase.order", "purchase order", purchase_ids)
        return rows, users, departments

    @staticmethod
    def _created(record, events):
        """When the object's first values hold: its creation, or its first event if
        that is earlier (creation is stamped with the transaction's start)."""
        if events:
            return min(record.create_date, events[0].event_date)
        return record.create_date

    def _named_objects(self, model, object_type, ids):
        """Objects that only carry their name; the name is left out where the user
        may not read those records (a lead for someone without CRM rights)."""
        if not ids:
            return []
        records = self.env[model].browse(sorted(ids))
        readable = records._filtered_access("read")
        names = {record.id: record.display_name for record in readable}
        return [
            (
                oid(model, res_id),
                object_type,
                [("name", EPOCH, names[res_id])] if res_id in names else [],
                [],
            )
            for res_id in sorted(ids)
        ]

    # ------------------------------------------------------------------
    # OCEL 2.0 JSON
    # ------------------------------------------------------------------

    @api.model
    def _ocel_json_chunks(self, filters):
        """The OCEL 2.0 JSON document in chunks of bytes: the events in a first pass
        over the tickets, the objects in a second one, users and departments last."""
        self._check_export_access()
        object_types = self._object_types()
        head = {
            "objectTypes": [
                {
                    "name": name,
                    "attributes": [{"name": a, "type": t} for a, t in OBJECT_ATTRIBUTES[name]],
                }
                for name in object_types
            ],
            "eventTypes": [
                {
                    "name": name,
                    "attributes": [{"name": a, "type": "string"} for a in EVENT_ATTRIBUTES],
                }
                for name in self._event_types()
            ],
        }
        yield json.dumps(head)[:-1].encode() + b', "events": ['
        users, departments, first = set(), set(), True
        for _tickets, events, steps in self._batches(filters):
            rows, batch_users, batch_departments = self._ocel_events(events, steps)
            users |= batch_users
            departments |= batch_departments
            parts = []
            for event_id, event_type, when, attributes, relations in rows:
                parts.append(
                    json.dumps(
                        {
                            "id": event_id,
                            "type": event_type,
                            "time": json_time(when),
                            "attributes": [{"name": n, "value": v} for n, v in attributes],
                            "relationships": [
                                {"objectId": o, "qualifier": q} for o, q in relations
                            ],
                        }
                    )
                )
            if parts:
                yield (b"" if first else b", ") + ", ".join(parts).encode()
                first = False
        yield b'], "objects": ['
        first = True
        for tickets, events, steps in self._batches(filters):
            rows, batch_users, batch_departments = self._ocel_objects(tickets, events, steps)
            users |= batch_users
            departments |= batch_departments
            if rows:
                yield (b"" if first else b", ") + self._json_objects(rows)
                first = False
        rows = self._named_objects("res.users", "user", users)
        rows += self._named_objects("hr.department", "department", departments)
        if rows:
            yield (b"" if first else b", ") + self._json_objects(rows)
        yield b"]}"

    def _json_objects(self, rows):
        return ", ".join(
            json.dumps(
                {
                    "id": object_id,
                    "type": object_type,
                    "attributes": [
                        {"name": n, "time": json_time(when), "value": v}
                        for n, when, v in attributes
                    ],
                    "relationships": [{"objectId": o, "qualifier": q} for o, q in relations],
                }
            )
            for object_id, object_type, attributes, relations in rows
        ).encode()

    # ------------------------------------------------------------------
    # OCEL 2.0 SQLite
    # ------------------------------------------------------------------

    @api.model
    def _ocel_sqlite_file(self, filters):
        """Write the OCEL 2.0 SQLite database into a temporary file and return its
        path; the caller removes it."""
        self._check_export_access()
        handle, path = tempfile.mkstemp(prefix="crossdept-ocel-", suffix=".sqlite")
        os.close(handle)
        try:
            conn = sqlite3.connect(path)
            try:
                self._sqlite_write(conn, filters)
            finally:
                conn.close()
        except Exception:
            os.unlink(path)
            raise
        return path

    def _sqlite_write(self, conn, filters):
        object_types, event_types = self._object_types(), self._event_types()
        sql_type = {"string": "TEXT", "integer": "INTEGER"}
        conn.executescript(
            """
            CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
            CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
            CREATE TABLE event (
                ocel_id TEXT PRIMARY KEY, ocel_type TEXT,
                FOREIGN KEY (ocel_type) REFERENCES event_map_type (ocel_type));
            CREATE TABLE object (
                ocel_id TEXT PRIMARY KEY, ocel_type TEXT,
                FOREIGN KEY (ocel_type) REFERENCES object_map_type (ocel_type));
            CREATE TABLE event_object (
                ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
                PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier),
                FOREIGN KEY (ocel_event_id) REFERENCES event (ocel_id),
                FOREIGN KEY (ocel_object_id) REFERENCES object (ocel_id));
            CREATE TABLE object_object (
                ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT,
                PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier),
                FOREIGN KEY (ocel_source_id) REFERENCES object (ocel_id),
                FOREIGN KEY (ocel_target_id) REFERENCES object (ocel_id));
            """
        )
        for name in event_types:
            columns = "".join(f', "{a}" TEXT' for a in EVENT_ATTRIBUTES)
            conn.execute(
                f'CREATE TABLE "event_{type_map(name)}" (ocel_id TEXT PRIMARY KEY, '
                f"ocel_time TIMESTAMP{columns}, "
                "FOREIGN KEY (ocel_id) REFERENCES event (ocel_id))"
            )
            conn.execute("INSERT INTO event_map_type VALUES (?, ?)", (name, type_map(name)))
        for name in object_types:
            columns = "".join(f', "{a}" {sql_type[t]}' for a, t in OBJECT_ATTRIBUTES[name])
            conn.execute(
                f'CREATE TABLE "object_{type_map(name)}" (ocel_id TEXT, ocel_time TIMESTAMP, '
                f"ocel_changed_field TEXT{columns}, "
                "FOREIGN KEY (ocel_id) REFERENCES object (ocel_id))"
            )
            conn.execute("INSERT INTO object_map_type VALUES (?, ?)", (name, type_map(name)))
        users, departments = set(), set()
        for tickets, events, steps in self._batches(filters):
            rows, batch_users, batch_departments = self._ocel_events(events, steps)
            users |= batch_users
            departments |= batch_departments
            for event_id, event_type, when, attributes, relations in rows:
                conn.execute("INSERT INTO event VALUES (?, ?)", (event_id, event_type))
                conn.execute(
                    f'INSERT INTO "event_{type_map(event_type)}" VALUES (?, ?, ?, ?, ?)',
                    (event_id, sqlite_time(when), *(v for _n, v in attributes)),
                )
                conn.executemany(
                    "INSERT INTO event_object VALUES (?, ?, ?)",
                    [(event_id, o, q) for o, q in relations],
                )
            rows, batch_users, batch_departments = self._ocel_objects(tickets, events, steps)
            users |= batch_users
            departments |= batch_departments
            self._sqlite_objects(conn, rows)
            conn.commit()
        rows = self._named_objects("res.users", "user", users)
        rows += self._named_objects("hr.department", "department", departments)
        self._sqlite_objects(conn, rows)
        conn.commit()

    def _sqlite_objects(self, conn, rows):
        """An object's first values in one row (ocel_changed_field empty), each later
        change of an attribute in a row of its own naming that attribute."""
        for object_id, object_type, attributes, relations in rows:
            conn.execute("INSERT INTO object VALUES (?, ?)", (object_id, object_type))
            names = [a for a, _t in OBJECT_ATTRIBUTES[object_type]]
            table = f'"object_{type_map(object_type)}"'
            marks = ", ".join("?" * (len(names) + 3))
            base, changes, seen = dict.fromkeys(names), [], set()
            for name, when, value in attributes:
                if name in seen:
                    changes.append((name, when, value))
                else:
                    seen.add(name)
                    base[name] = value
            first = min((when for _n, when, _v in attributes), default=EPOCH)
            conn.execute(
                f"INSERT INTO {table} VALUES ({marks})",
                (object_id, sqlite_time(first), None, *(base[n] for n in names)),
            )
            conn.executemany(
                f"INSERT INTO {table} VALUES ({marks})",
                [
                    (
                        object_id,
                        sqlite_time(when),
                        name,
                        *(value if n == name else None for n in names),
                    )
                    for name, when, value in changes
                ],
            )
            conn.executemany(
                "INSERT INTO object_object VALUES (?, ?, ?)",
                [(object_id, o, q) for o, q in relations],
            )

    # ------------------------------------------------------------------
    # XES
    # ------------------------------------------------------------------

    @api.model
    def _activity(self, event, step, labels):
        """XES activity and lifecycle transition of an event: a step's name for the
        events of its life cycle, the step's name and what happened for the others,
        what happened for the ticket's own events."""
        label = labels[event.event_type]
        if step:
            if event.event_type in LIFECYCLE:
                return step.name, LIFECYCLE[event.event_type]
            return f"{step.name} ({label})", "complete"
        if event.event_type == "state":
            return f"{label}: {event.to_state}", "complete"
        return label, LIFECYCLE.get(event.event_type, "complete")

    @api.model
    def _xes_chunks(self, filters):
        """The XES document in chunks of bytes: a trace per ticket (concept:name is
        the ticket's reference), its events in the order they happened, timestamps
        in UTC, the actor as org:resource."""
        self._check_export_access()
        labels = dict(
            self.env["crossdept.ticket.event"]
            ._fields["event_type"]
            ._description_selection(self.env)
        )
        yield (
            b'<?xml version="1.0" encoding="UTF-8" ?>\n'
            b'<log xes.version="1849-2016" xes.features="nested-attributes" '
            b'xmlns="http://www.xes-standard.org/">\n'
            b'<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
            b'<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
            b'<extension name="Lifecycle" prefix="lifecycle" '
            b'uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
            b'<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
            b'<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n'
            b'<global scope="event"><string key="concept:name" value="__INVALID__"/>'
            b'<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>'
            b'<string key="lifecycle:transition" value="complete"/></global>\n'
            b'<classifier name="Activity" keys="concept:name"/>\n'
            b'<classifier name="Activity and transition" '
            b'keys="concept:name lifecycle:transition"/>\n'
        )
        for tickets, events, steps in self._batches(filters):
            step_of = {step.id: step for step in steps}
            by_ticket = {}
            for event in events:
                by_ticket.setdefault(event.ticket_id.id, []).append(event)
            parts = []
            for ticket in tickets:
                trace = by_ticket.get(ticket.id)
                if not trace:
                    continue
                parts.append(
                    f"<trace>{self._xes_string('concept:name', ticket.name)}"
                    f"{self._xes_string('crossdept:flow', ticket.flow_id.name or '')}"
                    f'<int key="crossdept:flow_version" value="{ticket.flow_id.version or 0}"/>\n'
                )
                for event in trace:
                    step = step_of.get(event.step_id.id)
                    activity, transition = self._activity(event, step, labels)
                    department = (step and step.department_id) or event.to_department_id
                    parts.append(
                        "<event>"
                        + self._xes_string("concept:name", activity)
                        + self._xes_string("lifecycle:transition", transition)
                        + f'<date key="time:timestamp" value="{xes_time(event.event_date)}"/>'
                        + (
                            self._xes_string("org:resource", event.actor_id.name)
                            if event.actor_id
                            else ""
                        )
                        + (self._xes_string("org:group", department.name) if department else "")
                        + self._xes_string("crossdept:event", event.event_type)
                        + (
                            self._xes_string("crossdept:reason", event.reason)
                            if event.reason
                            else ""
                        )
                        + "</event>\n"
                    )
                parts.append("</trace>\n")
            if parts:
                yield "".join(parts).encode()
        yield b"</log>\n"

    @staticmethod
    def _xes_string(key, value):
        return f"<string key={quoteattr(key)} value={quoteattr(str(value))}/>"
