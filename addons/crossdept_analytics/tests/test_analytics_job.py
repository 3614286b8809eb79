from contextlib import contextmanager
from datetime import date
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..models.crossdept_analytics_job import CrossdeptAnalyticsJob
from .common_process import CrossdeptProcessCase
from .test_incremental_refresh import FACTS, read_facts

JOB = "crossdept.analytics.job"
ALL_DEPARTMENTS = "crossdept_analytics.group_crossdept_analytics_all"


@contextmanager
def recorded_progress():
    """Record, after each ``_progress`` call of a job, what ``_notify_progress``
    wrote on the job's progress record: yields the list of (done, remaining)."""
    seen = []
    original = CrossdeptAnalyticsJob._progress

    def spy(job_self, *args, **kwargs):
        original(job_self, *args, **kwargs)
        job_self.env.cr.execute(
            SQL(
                "SELECT p.done, p.remaining FROM ir_cron_progress p"
                " JOIN crossdept_analytics_job j ON j.cron_progress_id = p.id"
                " WHERE j.id = %s",
                job_self.id,
            )
        )
        seen.append(job_self.env.cr.fetchone())

    with patch.object(CrossdeptAnalyticsJob, "_progress", spy):
        yield seen


@tagged("post_install", "-at_install")
class TestAnalyticsJob(CrossdeptProcessCase):
    """Jobs queued by the people who ask for them and run by the cron's runner. The
    runner opens transactions of its own: here they are the test's (registry test
    mode), so that it sees what the test made."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        (cls.it_manager | cls.finance_manager).notification_type = "inbox"
        cls.flow, cls.steps = cls._make_flow(
            [{"name": "A"}, {"name": "B", "preds": ["A"], "department_id": cls.dept_finance.id}]
        )
        cls._history(
            cls.flow,
            [cls._serial([("A", 1, 1, "done", []), ("B", 2, 2, "done", [])])] * 3,
        )
        cls.empty_flow, _steps = cls._make_flow([{"name": "Alone"}])
        cls.Job = cls.env[JOB]

    def _run_jobs(self):
        self.env[JOB]._cron_run()
        self.env.invalidate_all()

    def _inbox(self, user, job):
        """The messages on ``job`` in ``user``'s Discuss inbox."""
        return (
            self.env["mail.notification"]
            .search(
                [
                    ("res_partner_id", "=", user.partner_id.id),
                    ("notification_type", "=", "inbox"),
                    ("mail_message_id.model", "=", JOB),
                    ("mail_message_id.res_id", "=", job.id),
                ]
            )
            .mail_message_id
        )

    def _toasts(self, user):
        return self.env["bus.bus"].search(
            [
                ("channel", "like", f'"res.partner",{user.partner_id.id}]'),
                ("message", "like", "simple_notification"),
            ]
        )

    def _simulation(self, user, flow, **vals):
        return (
            self.env["crossdept.simulation"]
            .with_user(user)
            .create({"flow_id": flow.id, "change": "remove", "step_id": False, **vals})
        )

    def test_review_pdf_job_ends_with_the_pdf_in_the_inbox(self):
        # wkhtmltopdf would fetch the stylesheets from this test server, which waits
        # for the test: a closed port refuses at once (see test_process_review)
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        wizard = (
            self.env["crossdept.process.review.wizard"]
            .with_user(self.it_manager)
            .create({"date_from": date(2024, 1, 1), "date_to": date(2024, 3, 31)})
        )
        self.assertTrue(wizard.run_in_background, "the review runs in the background by default")
        action = wizard.action_print()
        self.assertEqual(action["tag"], "display_notification")
        job = self.Job.with_user(self.it_manager).search([])
        self.assertEqual(job.mapped("state"), ["queued"])
        self.assertEqual(job.name, "Quarterly process review 2024-01-01/2024-03-31")
        cron = self.env.ref("crossdept_analytics.ir_cron_crossdept_analytics_job")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
            "queueing wakes the runner up",
        )
        self._run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual((job.progress_done, job.progress_total, job.progress), (2, 2, 100.0))
        # the requester reads the file through the job's rules
        result = job.with_user(self.it_manager).attachment_id
        self.assertEqual(result.mimetype, "application/pdf")
        self.assertTrue(result.raw.startswith(b"%PDF"))
        # another department's manager does not read the file: it is the job's,
        # whose rules keep it to its requester
        self.env.invalidate_all()
        with self.assertRaisesRegex(AccessError, r"Attachment \(ir.attachment\)"):
            result.with_user(self.finance_manager).read(["raw"])
        message = self._inbox(self.it_manager, job)
        self.assertEqual(len(message), 1)
        self.assertIn("is done: the file is attached", str(message.body))
        self.assertEqual(message.attachment_ids, result)
        self.assertIn(job.name, self._toasts(self.it_manager).mapped("message")[-1])
        # the download goes through the read-only content route
        download = job.with_user(self.it_manager).action_download()
        self.assertEqual(download["url"], f"/web/content/{result.id}?download=true")
        self.assertTrue(getattr(CrossdeptAnalyticsJob.action_download, "_readonly", False))

    def test_simulation_job_reports_its_progress(self):
        sim = self._simulation(self.it_manager, self.flow, step_id=self.steps["B"].id, runs=20)
        sim.action_run()
        job = self.Job.with_user(self.it_manager).search([("simulation_id", "=", sim.id)])
        self.assertEqual(job.state, "queued")
        with recorded_progress() as seen:
            self._run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(sim.state, "done")
        self.assertAlmostEqual(sim.predicted_median, 2.0, msg="A alone: 1h waiting + 1h work")
        # 2 replays of 20 runs, reported every 2 runs: the numbers move up to the end
        self.assertEqual(seen[0], (0, 40))
        self.assertEqual(seen[-1], (40, 0))
        dones = [done for done, _remaining in seen]
        self.assertEqual(dones, sorted(dones))
        self.assertGreater(len(set(dones)), 10)
        self.assertEqual((job.items_done, job.items_total), (40, 40))
        self.assertIn(
            "the results are on the simulation", str(self._inbox(self.it_manager, job).body)
        )

    def test_export_job_holds_only_what_the_requester_sees(self):
        it_ticket = self._run(self.flow, title="Visible to IT")
        finance_flow, _steps = self._make_flow(
            [{"name": "Book", "department_id": self.dept_finance.id, "user": self.finance_user}]
        )
        hidden = self._run(
            finance_flow,
            title="Finance only",
            department_id=self.dept_finance.id,
            assigned_department_id=self.dept_finance.id,
            requester_id=self.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": self.finance_user.id})],
        )
        self.env.flush_all()
        wizard = (
            self.env["crossdept.process.mining.export.wizard"]
            .with_user(self.it_manager)
            .create({"export_format": "xes"})
        )
        self.assertEqual(wizard.action_export()["tag"], "display_notification")
        self._run_jobs()
        job = self.Job.with_user(self.it_manager).search([])
        self.assertEqual(job.state, "done", job.error)
        content = job.attachment_id.raw
        self.assertIn(it_ticket.name.encode(), content)
        self.assertNotIn(hidden.name.encode(), content)
        # the Finance ticket is in the log: an administrator's export holds it
        admin = b"".join(self.env["crossdept.process.mining.export"]._xes_chunks({}))
        self.assertIn(hidden.name.encode(), admin)
        self.assertEqual(job.attachment_id.name, "crossdept-event-log.xes")
        self.assertEqual(job.progress_done, job.progress_total)
        self.assertGreater(job.progress_total, 0)

    def test_a_failing_job_records_its_error_and_the_others_run(self):
        failing = self._simulation(
            self.it_manager, self.empty_flow, change="headcount", department_id=self.dept_it.id
        )
        working = self._simulation(self.it_manager, self.flow, step_id=self.steps["B"].id, runs=5)
        # nothing to replay is refused at the click...
        with self.assertRaisesRegex(UserError, r"Flow .* has no finished ticket to replay\."):
            failing.action_run()
        self.assertFalse(self.Job.with_user(self.it_manager).search([]))
        # ...and a job whose history is gone by the time it runs (queued here
        # without the click's check) fails with the same message
        self.env[JOB].with_user(self.it_manager)._queue(
            [{"kind": "simulation", "name": "Gone", "simulation_id": failing.id}]
        )
        working.action_run()
        jobs = self.Job.with_user(self.it_manager).search([], order="id")
        self.assertEqual(jobs.simulation_id, failing | working)
        self._run_jobs()
        self.assertEqual(jobs.mapped("state"), ["failed", "done"])
        self.assertRegex(jobs[0].error, r"Flow .* has no finished ticket to replay\.")
        self.assertFalse(jobs[1].error)
        self.assertEqual(working.state, "done")
        self.assertIn("failed: Flow", str(self._inbox(self.it_manager, jobs[0]).body))

    def test_jobs_are_read_by_their_requester_and_company_wide_managers(self):
        self.env[JOB].with_user(self.it_manager)._queue([{"kind": "refresh", "name": "IT's"}])
        job = self.Job.search([("name", "=", "IT's")])
        with self.assertRaisesRegex(AccessError, "Analytics Background Job"):
            job.with_user(self.finance_manager).read(["name"])
        self.assertFalse(self.Job.with_user(self.finance_manager).search([]))
        analyst = new_test_user(self.env, "analyst", groups=ALL_DEPARTMENTS)
        self.assertEqual(self.Job.with_user(analyst).search([("name", "=", "IT's")]), job)
        # the requester says what to run, not how it ran
        with self.assertRaisesRegex(UserError, "State of Analytics Background Job is set by"):
            self.Job.with_user(self.it_manager).create(
                {"kind": "refresh", "name": "Mine", "state": "done"}
            )
        with self.assertRaisesRegex(AccessError, "Only CrossDept managers may run analytics jobs"):
            self.env[JOB].with_user(self.it_user)._queue([{"kind": "refresh", "name": "x"}])

    def test_full_rebuild_needs_every_department(self):
        with self.assertRaisesRegex(AccessError, "read the analytics of every department"):
            self.Job.with_user(self.it_manager).action_queue_refresh()
        # queued anyway (a manager who lost the group since): the job fails, told why
        self.env[JOB].with_user(self.it_manager)._queue([{"kind": "refresh", "name": "IT's"}])
        analyst = new_test_user(
            self.env, "analyst", groups=ALL_DEPARTMENTS, notification_type="inbox"
        )
        self.Job.with_user(analyst).action_queue_refresh()
        # every table of facts is rebuilt, the daily and monthly sums too: emptied here,
        # they hold after the job what the repair path gives
        self.env.flush_all()
        for table in FACTS:
            self.env.cr.execute(SQL("DELETE FROM %s", SQL.identifier(table)))
        self._run_jobs()
        refused, rebuilt = self.Job.search([], order="id")
        self.assertEqual(refused.state, "failed")
        self.assertIn("read the analytics of every department", refused.error)
        self.assertEqual(rebuilt.state, "done", rebuilt.error)
        self.assertEqual((rebuilt.items_done, rebuilt.items_total), (5, 5))
        self.assertIn("is done.", str(self._inbox(analyst, rebuilt).body))
        facts = read_facts(self.env.cr)
        self.assertTrue(all(facts.values()), "every table of facts filled again")
        self.env["crossdept.analytics.ticket"]._refresh_full()
        self.assertEqual(read_facts(self.env.cr), facts)


@tagged("post_install", "-at_install")
class TestAnalyticsJobRecovery(TransactionCase):
    """Runners and workers in real transactions of their own: the jobs are
    committed, and removed at the end."""

    def _commit_jobs(self, *attempts, state="running"):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            admin = env.ref("base.user_admin")
            jobs = (
                env[JOB]
                ._engine()
                .create(
                    [
                        {
                            "kind": "refresh",
                            "name": f"Recovery {index}",
                            "user_id": admin.id,
                            "company_id": admin.company_id.id,
                            "state": state,
                            "attempt": attempt,
                        }
                        for index, attempt in enumerate(attempts)
                    ]
                )
            )
            ids = jobs.ids
        self.addCleanup(self._remove, ids)
        return ids

    def _remove(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL("DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", JOB, ids)
            )
            cr.execute(
                SQL(
                    "DELETE FROM ir_cron_progress WHERE id IN (SELECT cron_progress_id"
                    " FROM crossdept_analytics_job WHERE id = ANY(%s))",
                    ids,
                )
            )
            cr.execute(SQL("DELETE FROM crossdept_analytics_job WHERE id = ANY(%s)", ids))

    def _read(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT id, state, attempt, cron_progress_id IS NOT NULL, error"
                    " FROM crossdept_analytics_job WHERE id = ANY(%s) ORDER BY id",
                    ids,
                )
            )
            return cr.fetchall()

    def test_a_stale_running_job_is_claimed_again_and_a_live_one_is_not(self):
        live, stale = self._commit_jobs(1, 1)
        # a worker still running ``live`` holds its row
        with self.registry.cursor() as worker:
            worker.execute(
                SQL("SELECT id FROM crossdept_analytics_job WHERE id = %s FOR NO KEY UPDATE", live)
            )
            claimed = self.env[JOB]._claim(self.registry)
            self.assertEqual(claimed, (stale, 2))
            # a runner that would run ``live`` now gives way to its worker
            self.assertFalse(self.env[JOB]._run_claimed(self.registry, live, 1))
            worker.rollback()
        self.assertEqual(
            self._read([live, stale]),
            [(live, "running", 1, False, None), (stale, "running", 2, True, None)],
        )

    def test_a_job_interrupted_too_often_fails_and_says_why(self):
        (job,) = self._commit_jobs(3)
        self.assertEqual(self.env[JOB]._claim(self.registry), (job, None))
        ((_id, state, attempt, _progress, error),) = self._read([job])
        self.assertEqual((state, attempt), ("failed", 3))
        self.assertEqual(
            error, "The job was interrupted 3 times (its worker stopped); it is not run again."
        )

    def test_a_job_runs_and_reports_in_transactions_of_its_own(self):
        (job,) = self._commit_jobs(0, state="queued")
        self.assertEqual(self.env[JOB]._cron_run(), 1)
        self.assertEqual(self._read([job]), [(job, "done", 1, True, None)])
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT items_done, items_total FROM crossdept_analytics_job WHERE id = %s",
                    job,
                )
            )
            # the five tables of facts, as reported while the job's transaction was open
            self.assertEqual(cr.fetchone(), (5, 5))
