import hashlib
import hmac
import json
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal, field_refusal

from .common import CrossdeptApiCase, Receiver, dead_url


@tagged("post_install", "-at_install")
class TestWebhook(CrossdeptApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.stop)
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
        # subscriptions already in the database are not this test's business
        cls.env["crossdept.webhook"].search([]).active = False
        EventType = cls.env["crossdept.webhook.event.type"]
        cls.webhook = cls.env["crossdept.webhook"].create(
            {
                "name": "ERP",
                "url": cls.receiver.url,
                "secret": "s3cr3t",
                "max_attempts": 3,
                "event_type_ids": [Command.set(EventType.search([]).ids)],
            }
        )
        cls.Delivery = cls.env["crossdept.webhook.delivery"]

    def setUp(self):
        super().setUp()
        self.receiver.requests.clear()
        self.receiver.statuses.clear()

    def _deliveries(self, ticket, code=None):
        domain = [("ticket_id", "=", ticket.id)]
        if code:
            domain.append(("event_type", "=", code))
        return self.Delivery.search(domain, order="id")

    def _create_ticket(self, **body):
        response = self._call("/tickets", key=self.it_key, body={"title": "Hooked", **body})
        self.assertEqual(response.status_code, 201, response.text)
        return self.env["crossdept.ticket"].browse(response.json()["id"])

    def _time_passes(self, deliveries):
        """Make the deliveries' next attempt due, as if their backoff had elapsed."""
        deliveries._engine().write({"next_attempt": fields.Datetime.now() - timedelta(seconds=1)})

    def test_events_are_queued_not_sent_in_the_transaction(self):
        ticket = self._create_ticket(type_id=self.ticket_type.id, start_flow=True)
        codes = self._deliveries(ticket).mapped("event_type")
        self.assertEqual(
            sorted(set(codes)), ["step.ready", "ticket.created", "ticket.state_changed"]
        )
        self.assertEqual(codes.count("ticket.state_changed"), 2)  # draft > open > in progress
        self.assertEqual(self.receiver.requests, [])
        self.assertEqual(set(self._deliveries(ticket).mapped("state")), {"pending"})
        cron = self.env.ref("crossdept_api.ir_cron_crossdept_webhook_send")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))

    def test_signed_delivery(self):
        ticket = self._create_ticket()
        delivery = self._deliveries(ticket)
        self.assertEqual(len(delivery), 1)
        self.Delivery._cron_send()
        [request] = self.receiver.requests
        headers, body = request["headers"], request["body"]
        # what a receiver does: recompute the HMAC of the raw body with the shared secret
        expected = "sha256=" + hmac.new(b"s3cr3t", body, hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(headers["X-CrossDept-Signature"], expected))
        forged = "sha256=" + hmac.new(b"wrong", body, hashlib.sha256).hexdigest()
        self.assertNotEqual(headers["X-CrossDept-Signature"], forged)
        payload = json.loads(body)
        self.assertEqual(payload["type"], "ticket.created")
        self.assertEqual(headers["X-CrossDept-Event"], "ticket.created")
        self.assertEqual(headers["X-CrossDept-Event-Id"], payload["id"])
        self.assertEqual(headers["X-CrossDept-Delivery"], str(delivery.id))
        self.assertTrue(headers["X-CrossDept-Timestamp"].isdigit())
        self.assertEqual(payload["data"]["ticket"]["number"], ticket.name)
        self.assertEqual(payload["data"]["event"]["actor"]["id"], self.it_user.id)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.attempt_count, 1)
        self.assertEqual(delivery.last_status, 200)
        self.assertIn("received", delivery.response_excerpt)
        self.assertGreaterEqual(delivery.duration_ms, 0)
        self.assertFalse(delivery.next_attempt)

    def test_retry_with_backoff_after_500(self):
        ticket = self._create_ticket()
        delivery = self._deliveries(ticket)
        self.receiver.statuses[:] = [500, 503]
        before = fields.Datetime.now()
        self.Delivery._cron_send()
        self.assertEqual(delivery.state, "pending")
        self.assertEqual(delivery.attempt_count, 1)
        self.assertEqual(delivery.last_status, 500)
        self.assertIn("received", delivery.response_excerpt)
        delay = delivery.next_attempt - before
        self.assertTrue(timedelta(seconds=55) <= delay <= timedelta(seconds=65), delay)
        # not due yet: nothing is sent
        self.Delivery._cron_send()
        self.assertEqual(len(self.receiver.requests), 1)
        self._time_passes(delivery)
        before = fields.Datetime.now()
        self.Delivery._cron_send()
        self.assertEqual((delivery.attempt_count, delivery.last_status), (2, 503))
        delay = delivery.next_attempt - before
        self.assertTrue(timedelta(seconds=115) <= delay <= timedelta(seconds=125), delay)
        self._time_passes(delivery)
        self.Delivery._cron_send()
        self.assertEqual(delivery.state, "done")
        self.assertEqual((delivery.attempt_count, delivery.last_status), (3, 200))
        # the same event every time, so that the receiver can de-duplicate
        self.assertEqual(
            len({r["headers"]["X-CrossDept-Event-Id"] for r in self.receiver.requests}), 1
        )

    def test_dead_receiver_leaves_ticket_work_intact(self):
        self.webhook.url = dead_url()
        ticket = self._create_ticket(type_id=self.ticket_type.id, start_flow=True)
        self._do(ticket, "Analyse")
        deliveries = self._deliveries(ticket)
        # created, draft > open > in progress, Analyse ready, started, done, Approve ready
        self.assertEqual(len(deliveries), 7)
        for _attempt in range(3):
            self._time_passes(deliveries)
            self.Delivery._cron_send()
        self.assertEqual(set(deliveries.mapped("state")), {"failed"})
        self.assertEqual(set(deliveries.mapped("attempt_count")), {3})
        self.assertEqual(set(deliveries.mapped("last_status")), {0})
        self.assertTrue(all(deliveries.mapped("last_error")))
        self.assertFalse(any(deliveries.mapped("next_attempt")))
        # a failed delivery is not tried again by the cron
        self._time_passes(deliveries)
        self.Delivery._cron_send()
        self.assertEqual(set(deliveries.mapped("attempt_count")), {3})
        # the ticket's own work stands
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(self._states(ticket), {"Analyse": "done", "Approve": "ready"})
        self.assertEqual(
            self._call(f"/tickets/{ticket.id}", key=self.it_key).json()["state"], "in_progress"
        )

    def test_retry_now(self):
        self.webhook.url = dead_url()
        ticket = self._create_ticket()
        delivery = self._deliveries(ticket)
        delivery._engine().write({"attempt_count": 2})
        self.Delivery._cron_send()
        self.assertEqual(delivery.state, "failed")
        self.webhook.url = self.receiver.url
        delivery.action_retry()
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.attempt_count, 4)
        self.assertEqual(len(self.receiver.requests), 1)

    def test_step_approval_and_comment_events(self):
        ticket = self._create_ticket(type_id=self.ticket_type.id, start_flow=True)
        self._do(ticket, "Analyse")
        self._step(ticket, "Approve").with_user(self.approver_1).action_approve()
        response = self._call(
            f"/tickets/{ticket.id}/comments", key=self.it_key, body={"body": "Thanks all"}
        )
        self.assertEqual(response.status_code, 201)
        decided = self._deliveries(ticket, "approval.decided")
        self.assertEqual(len(decided), 1)
        payload = json.loads(decided.payload)
        self.assertEqual(payload["data"]["step"]["name"], "Approve")
        self.assertEqual(payload["data"]["event"]["type"], "step_approve")
        self.assertEqual(len(self._deliveries(ticket, "step.done")), 2)
        comment = json.loads(self._deliveries(ticket, "ticket.comment").payload)
        self.assertEqual(comment["data"]["comment"]["body"], "Thanks all")
        self.assertFalse(comment["data"]["comment"]["internal"])
        # tracking messages are not comments
        self.assertEqual(len(self._deliveries(ticket, "ticket.comment")), 1)

    def test_escalation_events_of_a_cron_batch_are_queued(self):
        """The escalation cron logs a batch's events in one INSERT (not through
        create): each is queued to the subscribers as any other event."""
        self.env["crossdept.escalation.rule"].search([]).active = False
        self.env["crossdept.escalation.rule"].create({"name": "Hooked", "warn_percent": 80})
        tickets = [
            self._create_ticket(type_id=self.ticket_type.id, start_flow=True) for _i in range(2)
        ]
        steps = self.env["crossdept.ticket.step"].browse(
            [self._step(ticket, "Analyse").id for ticket in tickets]
        )
        steps._escalate(min(steps.mapped("date_deadline")) - timedelta(minutes=30))
        for ticket, step in zip(tickets, steps, strict=True):
            escalated = self._deliveries(ticket, "step.escalated")
            self.assertEqual(len(escalated), 1)
            data = json.loads(escalated.payload)["data"]
            self.assertEqual(data["event"]["type"], "escalation")
            self.assertEqual(data["event"]["to_state"], "1")
            self.assertEqual(data["step"]["id"], step.id)

    def test_step_done_carries_the_outputs(self):
        flow, _steps = self._make_flow(
            [
                {
                    "name": "Estimate",
                    "user": self.finance_user,
                    "deliverable_ids": [
                        Command.create({"name": "Estimated cost", "value_type": "amount"}),
                        Command.create({"name": "Notes", "value_type": "text"}),
                    ],
                },
            ]
        )
        ticket = self._run(flow)
        estimate = self._step(ticket, "Estimate").with_user(self.finance_user)
        cost, notes = estimate.deliverable_ids
        estimate.action_start()
        cost.with_user(self.finance_user).value_amount = 980.0
        notes.with_user(self.finance_user).value_text = "Two licences"
        estimate.action_finish()
        done = self._deliveries(ticket, "step.done")
        self.assertEqual(len(done), 1)
        step = json.loads(done.payload)["data"]["step"]
        self.assertEqual(step["name"], "Estimate")
        self.assertEqual(
            [
                (output["name"], output["type"], output["value"], output["filled_by"]["id"])
                for output in step["outputs"]
            ],
            [
                ("Estimated cost", "amount", 980.0, self.finance_user.id),
                ("Notes", "text", "Two licences", self.finance_user.id),
            ],
        )
        self.assertEqual(step["outputs"][0]["currency"], self.env.company.currency_id.name)

    def test_cancelled_steps_and_added_approvers(self):
        ticket = self._create_ticket(type_id=self.ticket_type.id, start_flow=True)
        self._do(ticket, "Analyse")
        approve = self._step(ticket, "Approve")
        approve.with_user(self.it_manager).action_add_approvers(self.approver_2, "Second eye")
        added = json.loads(self._deliveries(ticket, "approval.approver_added").payload)
        self.assertEqual(added["data"]["step"]["name"], "Approve")
        self.assertEqual(added["data"]["event"]["to_user"]["id"], self.approver_2.id)
        self.assertEqual(added["data"]["event"]["reason"], "Second eye")
        ticket.with_user(self.it_user).action_cancel()
        cancelled = self._deliveries(ticket, "step.cancelled")
        self.assertEqual(len(cancelled), 1, "the open approval is cancelled, the done step is not")
        payload = json.loads(cancelled.payload)
        self.assertEqual(payload["data"]["step"]["name"], "Approve")
        self.assertEqual(payload["data"]["event"]["type"], "step_cancel")

    def test_only_subscribed_events_of_the_company(self):
        self.webhook.event_type_ids = self.env.ref("crossdept_api.event_type_ticket_state")
        other = self.env["res.company"].create({"name": "Other (test)"})
        self.env["crossdept.webhook"].create(
            {
                "name": "Other company",
                "url": self.receiver.url,
                "company_id": other.id,
                "event_type_ids": [Command.set(self.webhook.event_type_ids.ids)],
            }
        )
        ticket = self._make_ticket()
        self.assertFalse(self._deliveries(ticket))
        ticket.action_open()
        delivery = self._deliveries(ticket)
        self.assertEqual(delivery.mapped("event_type"), ["ticket.state_changed"])
        self.assertEqual(delivery.webhook_id, self.webhook)
        self.webhook.active = False
        ticket.action_start()
        self.assertEqual(len(self._deliveries(ticket)), 1)

    def test_secret_is_for_administrators(self):
        manager_webhook = self.webhook.with_user(self.it_manager)
        self.assertEqual(manager_webhook.name, "ERP")
        with self.assertRaisesRegex(AccessError, field_refusal("secret", "crossdept.webhook")):
            manager_webhook.read(["secret"])
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "crossdept.webhook")):
            self.webhook.with_user(self.it_user).read(["name"])
        admin = self._make_user(
            "cd_admin", "crossdept_ticket.group_crossdept_ticket_admin", self.dept_it
        )
        self.assertEqual(self.webhook.with_user(admin).secret, "s3cr3t")

    def test_queueing_costs_no_query_without_subscription(self):
        self.webhook.active = False
        ticket = self._make_ticket()
        self.env["crossdept.webhook"]._subscriptions()  # warm the cache
        Event = self.env["crossdept.ticket.event"]
        with self.assertQueryCount(1):
            Event.sudo().create(
                {"ticket_id": ticket.id, "company_id": ticket.company_id.id, "event_type": "assign"}
            )
        self.assertFalse(self._deliveries(ticket))

    def test_archived_subscription_keeps_its_queue(self):
        ticket = self._make_ticket()
        delivery = self._deliveries(ticket)
        self.webhook.active = False
        self.Delivery._cron_send()
        self.assertEqual((delivery.state, delivery.attempt_count), ("pending", 0))
        self.assertEqual(self.receiver.requests, [])
        self.webhook.active = True
        self.Delivery._cron_send()
        self.assertEqual(delivery.state, "done")

    def test_queueing_is_batched(self):
        """Queueing the deliveries of 100 new tickets costs a few queries in all."""
        Ticket = self.env["crossdept.ticket"]
        vals = [{"title": f"Batch {i}", "department_id": self.dept_it.id} for i in range(100)]

        def count_queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            tickets = Ticket.create([dict(v) for v in vals])
            self.env.flush_all()
            return self.cr.sql_log_count - before, tickets

        self.webhook.active = False
        Ticket.create(vals[:1])  # warm the caches
        without, _tickets = count_queries()
        self.webhook.active = True
        Ticket.create(vals[:1])
        with_webhook, tickets = count_queries()
        self.assertEqual(len(self.Delivery.search([("ticket_id", "in", tickets.ids)])), 100)
        self.assertLessEqual(
            with_webhook - without, WEBHOOK_QUEUE_QUERY_BUDGET, (without, with_webhook)
        )

    def test_old_finished_deliveries_are_vacuumed(self):
        tickets = self._make_ticket() | self._make_ticket() | self._make_ticket()
        done, failed, pending = (self._deliveries(ticket) for ticket in tickets)
        done._engine().write({"state": "done"})
        failed._engine().write({"state": "failed"})
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_webhook_delivery SET write_date = now() - interval '31 days' "
                "WHERE id IN %s",
                tuple((done | failed | pending).ids),
            )
        )
        self.Delivery.invalidate_model()
        self.Delivery._gc_outbox()
        self.assertEqual((done | failed | pending).exists(), pending)

    def test_subscription_form(self):
        admin = self._make_user(
            "cd_admin_form", "crossdept_ticket.group_crossdept_ticket_admin", self.dept_it
        )
        form = Form(self.env["crossdept.webhook"].with_user(admin))
        form.name = "Helpdesk bridge"
        form.url = "ftp://example.com/hook"
        form.event_type_ids.add(self.env.ref("crossdept_api.event_type_ticket_created"))
        with (
            self.assertRaisesRegex(
                ValidationError,
                "The URL of webhook Helpdesk bridge must start with http:// or https://",
            ),
            self.cr.savepoint(),
        ):
            form.save()
        form.url = "https://example.com/hook"
        webhook = form.save()
        self.assertRegex(webhook.secret, r"^[0-9a-f]{64}$")
        self.assertEqual(webhook.max_attempts, 8)
        old_secret = webhook.secret
        webhook.action_regenerate_secret()
        self.assertNotEqual(webhook.secret, old_secret)
        # managers see the subscription without its secret
        manager_form = Form(webhook.with_user(self.it_manager))
        self.assertNotIn("secret", manager_form._view["fields"])


# measured: extra queries to queue (and build the payloads of) 100 deliveries at once
# (subscriptions, one insert, the cron trigger, the names read for the payloads)
WEBHOOK_QUEUE_QUERY_BUDGET = 8
