import os

from odoo import api, http
from odoo.exceptions import AccessError, UserError
from odoo.http import content_disposition, request

CHUNK = 64 * 1024
FORMATS = {
    "ocel_json": ("crossdept-event-log.json", "application/json"),
    "ocel_sqlite": ("crossdept-event-log.sqlite", "application/vnd.sqlite3"),
    "xes": ("crossdept-event-log.xes", "application/xml"),
}


class CrossdeptProcessMiningController(http.Controller):
    @http.route(
        "/crossdept_analytics/process_mining/<string:export_format>",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def process_mining_export(self, export_format, **params):
        """The event log as OCEL 2.0 JSON, OCEL 2.0 SQLite or XES, read as the
        requesting user (record rules apply), streamed in chunks."""
        Export = request.env["crossdept.process.mining.export"]
        try:
            Export._check_export_access()
            if export_format not in FORMATS:
                raise UserError(
                    request.env._(
                        "Unknown export format %(format)s: use ocel_json, ocel_sqlite or xes.",
                        format=export_format,
                    )
                )
            filters = Export._parse_filters(params)
        except AccessError as error:
            return self._refusal(error, 403)
        except UserError as error:
            return self._refusal(error, 400)
        filename, mimetype = FORMATS[export_format]
        headers = [
            ("Content-Type", mimetype),
            ("Content-Disposition", content_disposition(filename)),
            ("Cache-Control", "no-store"),
        ]
        if export_format == "ocel_sqlite":
            # SQLite needs a file: written now, in the request's transaction, then
            # sent in chunks and removed
            path = Export._ocel_sqlite_file(filters)
            return request.make_response(self._file_chunks(path), headers=headers)
        method = "_ocel_json_chunks" if export_format == "ocel_json" else "_xes_chunks"
        env = request.env
        chunks = self._chunks(env.registry, env.uid, dict(env.context), method, filters)
        return request.make_response(chunks, headers=headers)

    @staticmethod
    def _refusal(error, status):
        return request.make_response(
            error.args[0],
            headers=[("Content-Type", "text/plain; charset=utf-8")],
            status=status,
        )

    @staticmethod
    def _chunks(registry, uid, context, method, filters):
        # the response is sent after the request's cursor is closed: the chunks are
        # read in a cursor of their own, as the same user with the same companies
        with registry.cursor(readonly=True) as cr:
            env = api.Environment(cr, uid, context)
            yield from getattr(env["crossdept.process.mining.export"], method)(filters)

    @staticmethod
    def _file_chunks(path):
        try:
            with open(path, "rb") as file:
                while chunk := file.read(CHUNK):
                    yield chunk
        finally:
            os.unlink(path)
