"""The API, JSON-RPC and the cron worker while the database cannot be reached.

Without this, Odoo answers a request whose database it cannot list or open through
its no-database routing (``Request._serve_nodb``), which has no API route: a 404 HTML
page that tells an API client the path or the ticket is gone. A cursor that dies in
Odoo's own routing (``Request._serve_db``: the registry check, ``ir.http._match``,
authentication), before the API's handlers catch it, gives a 500 HTML page. And the
cron worker dies on its lost connection and is respawned about once a second, each
time with a traceback.

``install()`` (the addon's ``post_load``) wraps these three places of Odoo's server:

- ``Request._serve_nodb`` and ``Request._serve_db``: while the database is away, a
  request under ``/api/crossdept/v1`` answers the API's documented ``503
  unavailable`` JSON error with ``Retry-After``, and ``/jsonrpc`` and
  ``/web/dataset/call_kw`` a JSON-RPC error of code 503 with HTTP status 503 and
  ``Retry-After``; every other request is Odoo's business;
- ``WorkerCron``: the cron worker logs one warning, runs no job, and tries to listen
  on the database again after 1, 2, 4... up to 30 seconds, instead of dying.

``post_load`` runs when the addon is imported. An HTTP or cron worker that starts
while the database is away never loads a registry, so it would never import the
addon: ``crossdept_api`` must be in ``server_wide_modules`` (``config/*.template``,
README "Deployment"), which imports it when each Odoo process starts.
"""

import contextlib
import functools
import json
import logging
import select

import psycopg2

import odoo
from odoo import http
from odoo.service.server import Worker, WorkerCron, empty_pipe
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from .controllers.main import RETRY_AFTER, is_api_path, one_line, unavailable_error

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

UNAVAILABLE = _lt("The database is unavailable; nothing was saved. Try again in a moment.")
CALL_KW = "/web/dataset/call_kw"
JSONRPC = "/jsonrpc"
# SQLSTATEs of a server shutting down, crashed or starting up; class 08 is a lost
# connection, and a connection that could not be made has no SQLSTATE at all
DOWN_STATES = ("57P01", "57P02", "57P03")
DB_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
# the longest wait, in seconds, of the cron worker between two attempts to listen
CRON_RETRY_MAX = 30


def is_unavailable(error):
    """Whether ``error`` says that the database cannot be reached, rather than that a
    query failed (a serialization failure, a timeout, a defect)."""
    if isinstance(error, (http.RegistryError, psycopg2.InterfaceError)):
        return True
    if isinstance(error, psycopg2.OperationalError):
        state = error.pgcode
        return state is None or state.startswith("08") or state in DOWN_STATES
    return False


def outage_kind(path):
    """The kind of 503 answer of ``path`` while the database is away: "api",
    "jsonrpc", or None for a path left to Odoo."""
    if is_api_path(path):
        return "api"
    if path in (JSONRPC, CALL_KW) or path.startswith(CALL_KW + "/"):
        return "jsonrpc"
    return None


def jsonrpc_id(httprequest):
    try:
        return json.loads(httprequest.get_data(as_text=True)).get("id")
    except (ValueError, AttributeError):  # not JSON, or not a JSON object
        return None


def unavailable_response(request, kind, reason):
    """The 503 answer of ``kind`` for ``request``, built without the database: the
    message in the session's language (the client's Accept-Language for an API call,
    the user's for a web session), read from the addon's translation files."""
    httprequest = request.httprequest
    _logger.warning(
        "%s %s: the database is unavailable (%s)", httprequest.method, httprequest.path, reason
    )
    message = UNAVAILABLE._translate(request.session.context.get("lang") or "en_US")
    if kind == "api":
        response = unavailable_error(message).response()
    else:
        error = {
            "code": 503,
            "message": "Database unavailable",
            "data": {
                "name": "database_unavailable",
                "message": message,
                "arguments": [message],
                "context": {},
                "debug": "",
            },
        }
        response = request.make_json_response(
            {"jsonrpc": "2.0", "id": jsonrpc_id(httprequest), "error": error},
            headers=[("Retry-After", RETRY_AFTER)],
            status=503,
        )
    # no session is saved and no cookie set: Odoo's dispatcher does not run
    http.root.set_csp(response)
    return response


def _patch_request():
    serve_db = http.Request._serve_db
    serve_nodb = http.Request._serve_nodb

    @functools.wraps(serve_db)
    def _serve_db(self):
        # the registry could not be opened (Odoo would log it with a traceback, log the
        # session out and route the request as if there were no database) or a cursor
        # died in Odoo's routing or under the handler
        try:
            return serve_db(self)
        except Exception as error:
            kind = outage_kind(self.httprequest.path)
            if kind and is_unavailable(error):
                # RegistryError says which database; its cause says why
                return unavailable_response(self, kind, one_line(error.__cause__ or error))
            raise

    @functools.wraps(serve_nodb)
    def _serve_nodb(self):
        # Odoo comes here when it found no database to serve: listing them failed (or
        # none matches dbfilter, a set-up error the API cannot serve either). The API
        # and call_kw exist only with a database; /jsonrpc names its database in its
        # parameters and answers some calls without one (the "common" service).
        path = self.httprequest.path
        kind = outage_kind(path)
        if kind and path != JSONRPC:
            return unavailable_response(self, kind, "no database could be opened")
        try:
            return serve_nodb(self)
        except Exception as error:
            if kind and is_unavailable(error):
                return unavailable_response(self, kind, one_line(error))
            raise

    http.Request._serve_db = _serve_db
    http.Request._serve_nodb = _serve_nodb


def _drop_listener(worker):
    cursor = getattr(worker, "dbcursor", None)
    worker.dbcursor = None
    if cursor is not None:
        # as WorkerCron.stop closes it; a lost connection may fail to close
        with contextlib.suppress(*DB_ERRORS):
            cursor._cnx.close()  # pylint: disable=protected-access
        with contextlib.suppress(*DB_ERRORS):
            cursor.close()


def _listen(worker):
    """What WorkerCron.start does on the database: a connection that LISTENs to
    cron_trigger (impossible on a server in recovery), whose notifications end the
    worker's sleep."""
    worker.dbcursor = odoo.sql_db.db_connect("postgres").cursor()
    worker.dbcursor.execute(SQL("SELECT pg_is_in_recovery()"))
    if not worker.dbcursor.fetchone()[0]:
        worker.dbcursor.execute(SQL("LISTEN cron_trigger"))
    worker.dbcursor.commit()


def _database_lost(worker, error):
    _drop_listener(worker)
    worker.crossdept_retry_delay = 1
    _logger.warning(
        "WorkerCron (%s): the database cannot be reached (%s); no job runs until it is "
        "back, tried again after 1, 2, 4... up to %s s",
        worker.pid,
        one_line(error),
        CRON_RETRY_MAX,
    )


def _wait_for_database(worker):
    """The cron worker's sleep while the database is away: the retry delay, cut short
    by a signal (shutdown), then one attempt to listen again."""
    select.select([worker.wakeup_fd_r], [], [], worker.crossdept_retry_delay)
    empty_pipe(worker.wakeup_fd_r)
    if not worker.alive:
        return
    try:
        _listen(worker)
    except DB_ERRORS as error:
        _drop_listener(worker)
        worker.crossdept_retry_delay = min(worker.crossdept_retry_delay * 2, CRON_RETRY_MAX)
        _logger.debug("WorkerCron (%s): the database is still away (%s)", worker.pid, error)
        return
    _logger.info("WorkerCron (%s): the database is back, jobs run again", worker.pid)


def _patch_cron_worker():
    start = WorkerCron.start
    sleep = WorkerCron.sleep
    process_work = WorkerCron.process_work
    stop = WorkerCron.stop

    @functools.wraps(start)
    def cron_start(self):
        try:
            start(self)  # ends by listening on the database
        except DB_ERRORS as error:
            _database_lost(self, error)

    @functools.wraps(sleep)
    def cron_sleep(self):
        if self.dbcursor is None:
            _wait_for_database(self)
            return
        try:
            sleep(self)  # its connection raises when the database goes away
        except DB_ERRORS as error:
            _database_lost(self, error)

    @functools.wraps(process_work)
    def cron_process_work(self):
        if self.dbcursor is None:
            return
        try:
            # a listening connection that a stopping server closed may still wake the
            # sleep quietly: ask it first rather than fail in every job (a traceback)
            self.dbcursor.execute(SQL("SELECT 1"))
            self.dbcursor.rollback()
            process_work(self)  # lists the databases when no db_name is configured
        except DB_ERRORS as error:
            _database_lost(self, error)

    @functools.wraps(stop)
    def cron_stop(self):
        if self.dbcursor is None:
            Worker.stop(self)
            return
        with contextlib.suppress(*DB_ERRORS):
            stop(self)

    WorkerCron.start = cron_start
    WorkerCron.sleep = cron_sleep
    WorkerCron.process_work = cron_process_work
    WorkerCron.stop = cron_stop


def install():
    """Wrap Odoo's server once per process (see the module's docstring)."""
    if getattr(http.Request, "_crossdept_outage", False):
        return
    _patch_request()
    _patch_cron_worker()
    http.Request._crossdept_outage = True
