import re

from odoo import http
from odoo.http import request


class CrossdeptFlowController(http.Controller):
    @http.route("/crossdept/flow/<int:flow_id>/bpmn", type="http", auth="user")
    def crossdept_flow_bpmn(self, flow_id, **kw):
        """The flow version as a BPMN 2.0 file, read with the user's own rights."""
        flow = request.env["crossdept.flow"].browse(flow_id).exists()
        if not flow:
            raise request.not_found()
        flow.check_access("read")
        content = flow._bpmn_export()
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{flow.code}_v{flow.version}") + ".bpmn"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/xml; charset=utf-8"),
                ("Content-Disposition", http.content_disposition(name)),
            ],
        )
