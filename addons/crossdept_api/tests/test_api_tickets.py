from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestApiTickets(CrossdeptApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Analyse"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "approvers": cls.approver_1,
                    "preds": ["Analyse"],
                },
            ]
        )
        cls.other_type = cls.env["crossdept.ticket.type"].create({"name": "No flow (test)"})

    def _ticket_count(self):
        return self.env["crossdept.ticket"].search_count([])

    def test_create_ticket(self):
        response = self._call(
            "/tickets",
            key=self.it_key,
            body={
                "title": "  Printer jam  ",
                "description": "Tray 2\n<b>stuck</b>",
                "priority": "3",
                "type_id": self.other_type.id,
                "department_id": self.dept_it.id,
                "date_deadline": "2030-01-31T10:00:00+08:00",
            },
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()
        ticket = self.env["crossdept.ticket"].browse(data["id"])
        self.assertEqual(response.headers["Location"], f"/api/crossdept/v1/tickets/{ticket.id}")
        self.assertEqual(ticket.title, "Printer jam")
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(ticket.type_id, self.other_type)
        self.assertEqual(ticket.state, "draft")
        self.assertIn("&lt;b&gt;stuck&lt;/b&gt;", ticket.description)
        self.assertEqual(ticket.date_deadline, datetime(2030, 1, 31, 2, 0))
        self.assertEqual(data["number"], ticket.name)
        self.assertEqual(data["type"], {"id": self.other_type.id, "name": "No flow (test)"})
        self.assertEqual(data["date_deadline"], "2030-01-31T02:00:00Z")
        self.assertEqual(data["steps"], [])

    def test_create_and_start_flow(self):
        response = self._call(
            "/tickets",
            key=self.it_key,
            body={"title": "New laptop", "type_id": self.ticket_type.id, "start_flow": True},
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()
        self.assertEqual(data["state"], "in_progress")
        self.assertEqual(data["flow"]["id"], self.flow.id)
        steps = {step["name"]: step for step in data["steps"]}
        self.assertEqual(steps["Analyse"]["state"], "ready")
        self.assertEqual(steps["Approve"]["state"], "pending")
        self.assertEqual(steps["Approve"]["predecessor_ids"], [steps["Analyse"]["id"]])
        self.assertTrue(steps["Analyse"]["date_ready"].endswith("Z"))

    def test_get_ticket_status_and_steps(self):
        ticket = self._run(self.flow)
        self._do(ticket, "Analyse")
        self._step(ticket, "Approve").with_user(self.approver_1).action_approve()
        response = self._call(f"/tickets/{ticket.id}", key=self.it_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()
        self.assertEqual(data["state"], "done")
        self.assertEqual([s["state"] for s in data["steps"]], ["done", "done"])
        decision = data["steps"][1]["decisions"][0]
        self.assertEqual(decision["approver"]["id"], self.approver_1.id)
        self.assertEqual(decision["decision"], "approve")

    def test_get_ticket_shows_the_steps_outputs(self):
        flow, _steps = self._make_flow(
            [
                {
                    "name": "Estimate",
                    "user": self.finance_user,
                    "deliverable_ids": [
                        Command.create({"name": "Estimated cost", "value_type": "amount"}),
                        Command.create(
                            {"name": "In budget", "value_type": "boolean", "required": False}
                        ),
                        Command.create(
                            {"name": "Delivery", "value_type": "date", "required": False}
                        ),
                        Command.create({"name": "Priced", "value_type": "check"}),
                    ],
                },
                {
                    "name": "Sign",
                    "kind": "approval",
                    "approvers": self.approver_1,
                    "preds": ["Estimate"],
                },
            ]
        )
        ticket = self._run(flow)
        estimate = self._step(ticket, "Estimate").with_user(self.finance_user)
        cost, budget, _delivery, priced = estimate.deliverable_ids
        estimate.action_start()
        estimate.write(
            {
                "deliverable_ids": [
                    Command.update(cost.id, {"value_amount": 1250.5}),
                    Command.update(budget.id, {"value_yes_no": "no"}),
                    Command.update(priced.id, {"done": True}),
                ]
            }
        )
        estimate.action_finish()
        response = self._call(f"/tickets/{ticket.id}", key=self.it_key)
        self.assertEqual(response.status_code, 200, response.text)
        outputs = response.json()["steps"][0]["outputs"]
        given_by = {"id": self.finance_user.id, "name": self.finance_user.name}
        self.assertEqual(
            [
                {key: output[key] for key in ("name", "type", "required", "filled", "value")}
                for output in outputs
            ],
            [
                {
                    "name": "Estimated cost",
                    "type": "amount",
                    "required": True,
                    "filled": True,
                    "value": 1250.5,
                },
                {
                    "name": "In budget",
                    "type": "boolean",
                    "required": False,
                    "filled": True,
                    "value": False,
                },
                {
                    "name": "Delivery",
                    "type": "date",
                    "required": False,
                    "filled": False,
                    "value": None,
                },
                {
                    "name": "Priced",
                    "type": "check",
                    "required": True,
                    "filled": True,
                    "value": True,
                },
            ],
        )
        self.assertEqual(outputs[0]["currency"], self.env.company.currency_id.name)
        self.assertIsNone(outputs[1]["currency"])
        self.assertEqual(outputs[0]["filled_by"], given_by)
        self.assertTrue(outputs[0]["date_filled"].endswith("Z"))
        self.assertIsNone(outputs[2]["filled_by"])
        self.assertEqual(response.json()["steps"][1]["outputs"], [])

    def test_bad_json(self):
        before = self._ticket_count()
        response = self._call("/tickets", key=self.it_key, raw=b'{"title": "x",')
        self.assertApiError(response, 400, "invalid_json")
        response = self._call("/tickets", key=self.it_key, raw=b'["title"]')
        self.assertApiError(response, 400, "invalid_json")
        self.assertEqual(self._ticket_count(), before)

    def test_form_body_is_refused(self):
        response = self.url_open(
            "/api/crossdept/v1/tickets",
            data={"title": "As a form"},
            headers={"Authorization": f"Bearer {self.it_key}"},
        )
        self.assertApiError(response, 415, "unsupported_media_type")
        self.assertFalse(self.env["crossdept.ticket"].search([("title", "=", "As a form")]))
        # no Content-Type at all: the body is read as JSON
        response = self.url_open(
            "/api/crossdept/v1/tickets",
            data=b'{"title": "No content type"}',
            headers={"Authorization": f"Bearer {self.it_key}", "Content-Type": ""},
        )
        self.assertEqual(response.status_code, 201, response.text)

    def test_invalid_fields_are_named(self):
        before = self._ticket_count()
        cases = [
            ({"description": "no title"}, "title"),
            ({"title": "   "}, "title"),
            ({"title": 12}, "title"),
            ({"title": "x", "type_id": "3"}, "type_id"),
            ({"title": "x", "department_id": True}, "department_id"),
            ({"title": "x", "priority": 3}, "priority"),
            ({"title": "x", "date_deadline": "next monday"}, "date_deadline"),
            ({"title": "x", "start_flow": "yes"}, "start_flow"),
            ({"title": "x", "state": "done"}, "state"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                response = self._call("/tickets", key=self.it_key, body=body)
                self.assertApiError(response, 400, "invalid_field", field=field)
        self.assertEqual(self._ticket_count(), before)

    def test_unknown_record_is_unprocessable(self):
        """A well-formed id of a record that does not exist is refused by the business
        rules (422, as no schema can say which ids exist), naming the field."""
        before = self._ticket_count()
        for body, field in [
            ({"title": "x", "type_id": 999999999}, "type_id"),
            ({"title": "x", "partner_id": 2147483647}, "partner_id"),
        ]:
            with self.subTest(body=body):
                response = self._call("/tickets", key=self.it_key, body=body)
                error = self.assertApiError(response, 422, "unprocessable", field=field)
                self.assertIn(f"no record with id {body[field]}", error["message"])
        self.assertEqual(self._ticket_count(), before)

    def test_no_half_ticket_when_flow_cannot_start(self):
        """The ticket is created, then its flow start is refused: nothing remains."""
        events_before = self.env["crossdept.ticket.event"].search_count([])
        response = self._call(
            "/tickets",
            key=self.it_key,
            body={"title": "Half ticket", "type_id": self.other_type.id, "start_flow": True},
        )
        error = self.assertApiError(response, 422, "unprocessable")
        self.assertIn("No active flow", error["message"])
        self.assertFalse(self.env["crossdept.ticket"].search([("title", "=", "Half ticket")]))
        self.assertEqual(self.env["crossdept.ticket.event"].search_count([]), events_before)

    def test_access_error_is_403(self):
        """A portal customer's key reads nothing it may not, and may not create."""
        portal_key = self._api_key(self.portal_a)
        response = self._call("/tickets", key=portal_key, body={"title": "From portal"})
        self.assertApiError(response, 403, "forbidden")
        self.assertFalse(self.env["crossdept.ticket"].search([("title", "=", "From portal")]))

    def test_changed_since(self):
        Ticket = self.env["crossdept.ticket"]
        old, touched, stepped = (self._make_ticket(title=f"T{i}") for i in range(3))
        start = self._run(self.flow, title="Flow")
        # two days pass for all of them
        ids = (old | touched | stepped | start).ids
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket SET write_date = write_date - interval '2 days' "
                "WHERE id IN %s",
                tuple(ids),
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_event SET event_date = event_date - interval '2 days' "
                "WHERE ticket_id IN %s",
                tuple(ids),
            )
        )
        Ticket.invalidate_model()
        since = datetime.now().replace(microsecond=0) - timedelta(days=1)
        touched.priority = "2"
        self._do(start, "Analyse")  # changes steps only: the ticket row stays as it was
        response = self._call(
            f"/tickets?changed_since={since.isoformat()}Z&limit=1", key=self.it_key
        )
        self.assertEqual(response.status_code, 200, response.text)
        page = response.json()
        self.assertEqual(page["count"], 2)
        self.assertEqual(page["next_offset"], 1)
        second = self._call(
            f"/tickets?changed_since={since.isoformat()}%2B00:00&limit=1&offset=1",
            key=self.it_key,
        ).json()
        self.assertIsNone(second["next_offset"])
        found = {t["id"] for t in page["tickets"] + second["tickets"]}
        self.assertEqual(found, {touched.id, start.id})
        self.assertNotIn("steps", page["tickets"][0])
        everything = self._call("/tickets?limit=200", key=self.it_key).json()
        self.assertTrue(set(ids) <= {t["id"] for t in everything["tickets"]})

    def test_changed_since_takes_any_past_instant(self):
        """The product's date range is for ticket dates: any instant, before 2000 or in
        any time zone, is a lower bound of changed_since; a deadline out of the range
        is refused with the status the OpenAPI document gives (422)."""
        ticket = self._make_ticket(title="Listed")
        everything = self._call("/tickets?limit=200", key=self.it_key).json()["count"]
        for value in (
            "2000-01-01T00:00:00%2B01:00",
            "1999-12-31T23:59:59Z",
            "1970-01-01T00:00:00-05:00",
            "0001-01-01T00:00:00%2B14:00",
            "0000-01-01T00:00:00Z",
        ):
            with self.subTest(value=value):
                response = self._call(f"/tickets?changed_since={value}&limit=200", key=self.it_key)
                self.assertEqual(response.status_code, 200, response.text)
                page = response.json()
                self.assertEqual(page["count"], everything)
                self.assertIn(ticket.id, {t["id"] for t in page["tickets"]})
        # a future instant lists nothing, even beyond 2100
        for value in ("2101-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00"):
            with self.subTest(value=value):
                response = self._call(f"/tickets?changed_since={value}", key=self.it_key)
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(response.json()["count"], 0)
        for value in ("1999-12-31T23:59:59Z", "2000-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z"):
            with self.subTest(value=value):
                response = self._call(
                    "/tickets", key=self.it_key, body={"title": "Dated", "date_deadline": value}
                )
                error = self.assertApiError(response, 422, "unprocessable", field="date_deadline")
                self.assertEqual(
                    error["message"],
                    "date_deadline must fall between 2000-01-01 and 2100-12-31 (UTC).",
                )

    def test_list_parameters_are_checked(self):
        for query, field in [
            ("changed_since=yesterday", "changed_since"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("offset=-1", "offset"),
            ("limit=ten", "limit"),
        ]:
            with self.subTest(query=query):
                response = self._call(f"/tickets?{query}", key=self.it_key)
                self.assertApiError(response, 400, "invalid_field", field=field)

    def test_idempotency_key(self):
        body = {"title": "Once only", "priority": "2"}
        headers = {"Idempotency-Key": "erp-4711"}
        first = self._call("/tickets", key=self.it_key, body=body, headers=headers)
        self.assertEqual(first.status_code, 201, first.text)
        again = self._call("/tickets", key=self.it_key, body=body, headers=headers)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(len(self.env["crossdept.ticket"].search([("title", "=", "Once only")])), 1)
        other = self._call(
            "/tickets", key=self.it_key, body={**body, "priority": "3"}, headers=headers
        )
        self.assertApiError(other, 409, "conflict")
        # the key is the client's: another user may use the same one
        theirs = self._call("/tickets", key=self.finance_key, body=body, headers=headers)
        self.assertEqual(theirs.status_code, 201, theirs.text)
        self.assertNotEqual(theirs.json()["id"], first.json()["id"])
        too_long = {"Idempotency-Key": "k" * 256}
        response = self._call("/tickets", key=self.it_key, body=body, headers=too_long)
        self.assertApiError(response, 400, "invalid_field", field="Idempotency-Key")
