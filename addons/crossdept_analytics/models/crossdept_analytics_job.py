"""Heavy analytics work off the request: a job is queued by the user, run by the
cron "CrossDept: run analytics jobs" as that user, and the user is told when it is
done (a message in their inbox with the result attached, and a toast).

How a job is run (``_cron_run``), one job after the other, each in transactions of
its own:

1. Claim: ``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` picks the oldest job that is
   queued, or running without anybody holding its row (its worker was killed); it
   becomes running, its attempt counter goes up, and this is committed.
2. Run: a new transaction locks the job's row again (``NOWAIT``: a runner that lost
   the race skips it) and holds it to the end, so a live job is never claimed by
   another runner. The work runs in a savepoint as the requesting user, in the
   job's company: record rules decide what the result holds. Its end (result,
   error) is written in the same transaction and committed.
3. Progress is written meanwhile through ``ir.cron._notify_progress`` on a
   progress record of the job, in short transactions of their own, so that the
   list of jobs shows it while the job's own transaction is still open.
"""

import logging
import os
import time

from psycopg2 import errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..controllers.process_mining import FORMATS
from ..report.crossdept_analytics_ticket import FACT_MODELS
from .crossdept_analytics_kpi import ALL_DEPARTMENTS_GROUP

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "crossdept_ticket.group_crossdept_ticket_manager"
CRON_XMLID = "crossdept_analytics.ir_cron_crossdept_analytics_job"
# a job whose worker was killed this many times is failed, not run again
MAX_ATTEMPTS = 3
# the cron hands over to the other crons after this many seconds of jobs
RUN_BUDGET = 600
# the views the full rebuild refreshes, in the order the cron refresh uses
# how many times each export format reads the tickets
EXPORT_PASSES = {"ocel_json": 2, "ocel_sqlite": 1, "xes": 1}
EXPORT_FORMATS = {
    "ocel_json": "OCEL 2.0 (JSON)",
    "ocel_sqlite": "OCEL 2.0 (SQLite)",
    "xes": "XES",
}


class CrossdeptAnalyticsJob(models.Model):
    _name = "crossdept.analytics.job"
    _description = "Analytics Background Job"
    _inherit = ["mail.thread", "crossdept.engine.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [
            ("refresh", "Full rebuild of the facts"),
            ("review_pdf", "Quarterly review PDF"),
            ("simulation", "What-if simulation"),
            ("process_mining", "Process-mining export"),
            ("parquet", "Parquet export"),
        ],
        required=True,
        readonly=True,
    )
    params = fields.Json("Parameters", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        required=True,
        default="queued",
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        "Requested by",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    simulation_id = fields.Many2one("crossdept.simulation", readonly=True, ondelete="cascade")
    attachment_id = fields.Many2one("ir.attachment", "Result", readonly=True, ondelete="set null")
    attachment_name = fields.Char(related="attachment_id.name", string="File")
    error = fields.Text(readonly=True)
    attempt = fields.Integer(
        "Attempts",
        readonly=True,
        default=0,
        help="Runs begun: more than one when a worker was stopped.",
    )
    date_started = fields.Datetime("Started on", readonly=True)
    date_finished = fields.Datetime("Finished on", readonly=True)
    cron_progress_id = fields.Many2one("ir.cron.progress", readonly=True, ondelete="set null")
    items_done = fields.Integer(readonly=True)
    items_total = fields.Integer(readonly=True)
    progress_done = fields.Integer("Done", compute="_compute_progress")
    progress_total = fields.Integer("To Do", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress", help="Share of the work done, in %.")

    def _engine_fields(self):
        # the requester says what to run; how it runs is the runner's
        return self._engine_all_fields(
            self.env._("Run in Background"), keep=("name", "kind", "params", "simulation_id")
        )

    @api.depends("state", "items_done", "items_total", "cron_progress_id")
    def _compute_progress(self):
        # the progress record is the runner's bookkeeping; the job's own rules have
        # decided whether the reader may see this job
        progress_rows = self.sudo().cron_progress_id
        progress_rows.fetch(["done", "remaining"])
        for job in self:
            row = job.sudo().cron_progress_id
            if job.state == "running" and row:
                done, total = row.done, row.done + row.remaining
            else:
                done, total = job.items_done, job.items_total
            job.progress_done = done
            job.progress_total = total
            if job.state == "done":
                job.progress = 100.0
            else:
                job.progress = 100.0 * done / total if total else 0.0

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.readonly
    def action_download(self):
        """The result file, through the read-only content route."""
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(
                self.env._("Job %(job)s has no file to download.", job=self.display_name)
            )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    @api.readonly
    def action_open_simulation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crossdept.simulation",
            "res_id": self.simulation_id.id,
            "view_mode": "form",
        }

    @api.model
    def action_queue_refresh(self):
        """Queue a full rebuild of the analytics facts."""
        if not self.env.user.has_group(ALL_DEPARTMENTS_GROUP):
            raise AccessError(
                self.env._(
                    "Only managers who read the analytics of every department may rebuild "
                    "the facts."
                )
            )
        return self._queue(
            [{"kind": "refresh", "name": self.env._("Full rebuild of the analytics facts")}]
        )._queued_notification()

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _queue(self, vals_list):
        """Queue jobs for the current user and company and wake the runner up."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only CrossDept managers may run analytics jobs in the background.")
            )
        jobs = self.create(vals_list)
        # users may not read crons: waking this one up is what queueing a job asks
        self.env.ref(CRON_XMLID).sudo()._trigger()
        return jobs

    def _queued_notification(self):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Running in the background"),
                "message": self.env._(
                    "%(jobs)s: you will find the result in your inbox and under "
                    "Analytics > Jobs when it is done.",
                    jobs=", ".join(self.mapped("name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # The runner
    # ------------------------------------------------------------------

    @api.model
    def _cron_run(self):
        """Run the queued (and interrupted) jobs one by one until none is left or
        the time budget is spent; report to the cron how many remain."""
        registry = self.env.registry
        started = time.monotonic()
        done = 0
        while time.monotonic() - started < RUN_BUDGET:
            claimed = self._claim(registry)
            if not claimed:
                break
            job_id, attempt = claimed
            if attempt:
                self._run_claimed(registry, job_id, attempt)
            done += 1
        with registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT count(*) FROM %s WHERE state IN ('queued', 'running')",
                    SQL.identifier(self._table),
                )
            )
            remaining = cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining if done else 0)
        return done

    @api.model
    def _claim(self, registry):
        """Claim the next job in a transaction of its own; return (id, attempt), or
        (id, None) for a job interrupted too often (failed here), or None when every
        queued or running job is held by a live runner."""
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Job = env[self._name]
            try:
                cr.execute(
                    SQL(
                        """
                        SELECT id, state, COALESCE(attempt, 0) FROM %s
                         WHERE state IN ('queued', 'running')
                         ORDER BY id
                         LIMIT 1
                           FOR NO KEY UPDATE SKIP LOCKED
                        """,
                        SQL.identifier(self._table),
                    ),
                    log_exceptions=False,
                )
            except errors.SerializationFailure:
                # the job changed after this transaction began: the next call sees it
                cr.rollback()
                return self._claim(registry)
            row = cr.fetchone()
            if not row:
                return None
            job_id, state, attempt = row
            job = Job.browse(job_id)
            if state == "running":
                _logger.info("Analytics job %s was interrupted: run again", job_id)
                if attempt >= MAX_ATTEMPTS:
                    job._finish(
                        error=env._(
                            "The job was interrupted %(count)s times (its worker stopped); "
                            "it is not run again.",
                            count=attempt,
                        )
                    )
                    return job_id, None
            cron = env.ref(CRON_XMLID)
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            job._engine().write(
                {
                    "state": "running",
                    "attempt": attempt + 1,
                    "date_started": fields.Datetime.now(),
                    "error": False,
                    "cron_progress_id": progress.id,
                }
            )
            return job_id, attempt + 1

    @api.model
    def _run_claimed(self, registry, job_id, attempt):
        """Run one claimed job in a transaction that holds its row to the end."""
        with registry.cursor() as cr:
            try:
                cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s AND state = 'running' AND attempt = %s"
                        " FOR NO KEY UPDATE NOWAIT",
                        SQL.identifier(self._table),
                        job_id,
                        attempt,
                    ),
                    log_exceptions=False,
                )
            except (errors.LockNotAvailable, errors.SerializationFailure):
                # another runner claimed it again meanwhile and runs it
                return False
            if not cr.fetchone():
                return False
            job = api.Environment(cr, SUPERUSER_ID, {})[self._name].browse(job_id)
            user = job.user_id
            user_env = api.Environment(
                cr,
                user.id,
                {
                    "lang": user.lang,
                    "tz": user.tz,
                    "allowed_company_ids": job.company_id.ids,
                },
            )
            try:
                with cr.savepoint():
                    result = job.with_env(user_env)._execute()
                    user_env.flush_all()
            except Exception as error:  # recorded on the job, never lost
                if isinstance(error, UserError | ValidationError | AccessError):
                    _logger.info("Analytics job %s refused: %s", job_id, error)
                else:
                    _logger.exception("Analytics job %s failed", job_id)
                job._finish(error=self._error_text(error))
            else:
                job.env.invalidate_all()
                job._finish(**result)
            return True

    @staticmethod
    def _error_text(error):
        if isinstance(error, UserError | ValidationError | AccessError):
            return error.args[0]
        return f"{type(error).__name__}: {error}"

    def _finish(self, error=None, file=None, simulation=None, message=None):
        """Record the end of the job (as the runner: users only read their jobs) and
        tell the requester: a message in their inbox, with the file or what the job
        says it did (``message``, in the requester's language), and a toast."""
        self.ensure_one()
        job = self.sudo()
        done, total = job._last_progress()
        vals = {
            "state": "failed" if error else "done",
            "date_finished": fields.Datetime.now(),
            "error": error or False,
            "items_done": done,
            "items_total": total,
        }
        attachments = self.env["ir.attachment"]
        if file:
            filename, mimetype, content = file
            # the file was made as the requester; it is read through the job's rules
            attachments = attachments.sudo().create(
                {
                    "name": filename,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            vals["attachment_id"] = attachments.id
        job._engine().write(vals)
        lang_job = job.with_context(lang=job.user_id.lang)
        if error:
            body = lang_job.env._("%(job)s failed: %(error)s", job=job.name, error=error)
        elif simulation:
            body = lang_job.env._(
                "%(job)s is done: the results are on the simulation.", job=job.name
            )
        elif file:
            body = lang_job.env._("%(job)s is done: the file is attached.", job=job.name)
        elif message:
            body = lang_job.env._("%(job)s is done: %(result)s", job=job.name, result=message)
        else:
            body = lang_job.env._("%(job)s is done.", job=job.name)
        # posted by OdooBot so that the requester, not its author, is notified
        lang_job.message_post(
            body=body,
            author_id=self.env.ref("base.partner_root").id,
            partner_ids=job.user_id.partner_id.ids,
            attachment_ids=attachments.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        job.user_id._bus_send(
            "simple_notification",
            {
                "type": "danger" if error else "success",
                "title": lang_job.env._("Analytics job"),
                "message": body,
                "sticky": bool(error),
            },
        )

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------

    def _last_progress(self):
        """(done, total) as last reported: read in a transaction of its own, the
        job's own one began before the reports."""
        self.ensure_one()
        progress_id = self.sudo().cron_progress_id.id
        if not progress_id:
            return self.items_done, self.items_total
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT done, done + remaining FROM ir_cron_progress WHERE id = %s", progress_id
                )
            )
            return cr.fetchone() or (self.items_done, self.items_total)

    def _progress(self, done=None, total=None, advance=0):
        """Report progress in a transaction of its own (the job's own transaction
        is open till the end): ``total`` to start, then ``done`` or ``advance``."""
        self.ensure_one()
        progress_id = self.sudo().cron_progress_id.id
        if not progress_id:
            return
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"ir_cron_progress_id": progress_id})
            row = env["ir.cron.progress"].browse(progress_id)
            if total is None:
                total = row.done + row.remaining
            if done is None:
                done = row.done + advance
            env["ir.cron"]._notify_progress(done=min(done, total), remaining=max(total - done, 0))

    # ------------------------------------------------------------------
    # The work, as the requesting user
    # ------------------------------------------------------------------

    def _execute(self):
        """Do the job's work as the current (requesting) user; return what
        ``_finish`` records."""
        self.ensure_one()
        return getattr(self, f"_execute_{self.kind}")()

    def _execute_refresh(self):
        if not self.env.user.has_group(ALL_DEPARTMENTS_GROUP):
            raise AccessError(
                self.env._(
                    "Only managers who read the analytics of every department may rebuild "
                    "the facts."
                )
            )
        self._progress(done=0, total=len(FACT_MODELS))
        concurrently = (self.params or {}).get("concurrently", True)
        # as crossdept.analytics.ticket._refresh_full: the incremental refresh waits,
        # and starts again from where the rebuild leaves the facts
        facts = self.env["crossdept.analytics.ticket"]
        companies = facts._all_companies()
        facts._lock_watermarks(companies, wait=True)
        for index, model in enumerate(FACT_MODELS, start=1):
            self.env[model]._refresh(concurrently)
            self._progress(done=index)
        facts._mark_refreshed(companies)
        return {}

    def _execute_review_pdf(self):
        params = self.params or {}
        self._progress(done=0, total=2)
        data = {"date_from": params["date_from"], "date_to": params["date_to"]}
        # a file even where the server runs its tests (which print HTML otherwise)
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                "crossdept_analytics.report_process_review", self.company_id.ids, data=data
            )
        )
        self._progress(done=1)
        filename = self.env._(
            "Process review %(date_from)s to %(date_to)s.pdf",
            date_from=params["date_from"],
            date_to=params["date_to"],
        )
        self._progress(done=2)
        return {"file": (filename, "application/pdf", pdf)}

    def _execute_simulation(self):
        simulation = self.simulation_id
        simulation.check_access("write")
        simulation._simulate(progress=self._progress)
        return {"simulation": simulation}

    def _execute_process_mining(self):
        params = dict(self.params or {})
        export_format = params.pop("export_format", "ocel_json")
        Export = self.env["crossdept.process.mining.export"].with_context(
            crossdept_analytics_job_id=self.id
        )
        Export._check_export_access()
        filters = Export._parse_filters(params)
        tickets = self.env["crossdept.ticket"].search_count(Export._ticket_domain(filters))
        self._progress(done=0, total=tickets * EXPORT_PASSES[export_format])
        filename, mimetype = FORMATS[export_format]
        if export_format == "ocel_sqlite":
            path = Export._ocel_sqlite_file(filters)
            try:
                with open(path, "rb") as file:
                    content = file.read()
            finally:
                os.unlink(path)
        elif export_format == "xes":
            content = b"".join(Export._xes_chunks(filters))
        else:
            content = b"".join(Export._ocel_json_chunks(filters))
        return {"file": (filename, mimetype, content)}

    def _execute_parquet(self):
        """The Parquet export of the job's company, as Export Now did it in the
        request: the files go to the export's directory, the inbox says which."""
        Export = self.env["crossdept.parquet.export"]
        Export._check_export_access()
        tally = {}
        Export._for_companies(self.company_id)._export(tally=tally, progress=self._progress)
        return {"message": Export._summary(tally, Export._directory())}

    @api.model
    def _export_name(self, export_format, filters):
        name = self.env._(
            "Process-mining export (%(format)s)", format=EXPORT_FORMATS[export_format]
        )
        dates = [filters.get(key) for key in ("date_from", "date_to")]
        if any(dates):
            # an ISO 8601 interval, open where a date is not given
            name += " " + "/".join(str(value or "..") for value in dates)
        return name

    @api.model
    def _review_name(self, date_from, date_to):
        # the period as an ISO 8601 interval
        period = "/".join(fields.Date.to_string(day) for day in (date_from, date_to))
        return self.env._("Quarterly process review %(period)s", period=period)
