import logging

from psycopg2.errors import QueryCanceled

from odoo import SUPERUSER_ID, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# A user's request stops after this long (ir.config_parameter
# crossdept_ticket.statement_timeout_ms, 0 for no limit): below Odoo's limit_time_real
# (120 s by default, 1200 s in production), so one slow request answers an error
# instead of having its worker killed. Reports (the quarterly review PDF) get their own
# limit, crossdept_ticket.report_statement_timeout_ms, below production's 1200 s.
STATEMENT_TIMEOUT_MS = 60_000
REPORT_STATEMENT_TIMEOUT_MS = 900_000
REPORT_PREFIX = "/report/"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        # the portal's chatter runs mail's scripts: their words ("Today at") are
        # translated on the portal too, not only in the web client
        return [*super()._get_translation_frontend_modules_name(), "mail"]

    @classmethod
    def _crossdept_statement_timeout_ms(cls):
        """The statement timeout of the current request, in milliseconds (0: none)."""
        report = request.httprequest.path.startswith(REPORT_PREFIX)
        key, default = (
            ("crossdept_ticket.report_statement_timeout_ms", REPORT_STATEMENT_TIMEOUT_MS)
            if report
            else ("crossdept_ticket.statement_timeout_ms", STATEMENT_TIMEOUT_MS)
        )
        # superuser only to read a technical setting, whoever (or no one) is logged in
        value = request.env["ir.config_parameter"].with_user(SUPERUSER_ID).get_param(key)
        try:
            return max(int(value), 0) if value not in (None, False, "") else default
        except ValueError:
            _logger.warning("System parameter %s is not a number of milliseconds: %r", key, value)
            return default

    @classmethod
    def _crossdept_statement_timeout_error(cls):
        """Roll back the request's transaction, cancelled by the statement timeout
        (nothing of it is saved), and return the error that says so."""
        request.env.cr.rollback()
        timeout_ms = cls._crossdept_statement_timeout_ms()
        _logger.warning(
            "Request %s stopped by the statement timeout (%s ms)",
            request.httprequest.path,
            timeout_ms,
        )
        seconds = timeout_ms // 1000 if timeout_ms % 1000 == 0 else round(timeout_ms / 1000, 1)
        # a plain UserError: the web client shows it in its usual dialog
        return UserError(
            request.env._(
                "This request took longer than %(seconds)s seconds and was stopped; "
                "narrow the filter or try again later.",
                seconds=seconds,
            )
        )

    @classmethod
    def _dispatch(cls, endpoint):
        """Run the endpoint under the request's statement timeout (SET LOCAL: for this
        transaction only; a retry after a serialization failure comes back here in a
        new one). Crons, installs and updates are no HTTP requests and keep no limit."""
        timeout_ms = cls._crossdept_statement_timeout_ms()
        if not timeout_ms:
            return super()._dispatch(endpoint)
        cr = request.env.cr
        cr.execute(SQL("SET LOCAL statement_timeout = %s", timeout_ms))
        try:
            result = super()._dispatch(endpoint)
            # what the endpoint changed is written under the same limit
            if not cr._closed:  # pylint: disable=protected-access
                request.env.flush_all()
        except QueryCanceled as error:
            raise cls._crossdept_statement_timeout_error() from error
        # No reset in production: the request's transaction ends with the request (its
        # commit, whose last writes are the request's own and stay under its limit, or
        # its rollback), and SET LOCAL ends with it: one query per request. Only a
        # registry in test mode hands the request a cursor on the test's own
        # transaction, which goes on after the request: there the limit is taken back.
        # XML-RPC and /jsonrpc close the request's cursor and work in their own (the
        # test cursor has no public ``closed``).
        if request.env.registry.in_test_mode() and not cr._closed:  # pylint: disable=protected-access
            cr.execute(SQL("SET LOCAL statement_timeout TO DEFAULT"))
        return result
