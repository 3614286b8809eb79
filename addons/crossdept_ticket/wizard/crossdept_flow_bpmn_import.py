import base64
import binascii
import re

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools import bpmn_import, graph

MAX_BYTES_PARAM = "crossdept_ticket.bpmn_import_max_bytes"


class CrossdeptFlowBpmnImport(models.TransientModel):
    _name = "crossdept.flow.bpmn.import"
    _description = "Import a Flow from BPMN 2.0"

    bpmn_file = fields.Binary("BPMN File", attachment=False)
    bpmn_filename = fields.Char("File Name")
    code = fields.Char(help="Code of the new flow; empty takes the process's id or name.")
    name = fields.Char(help="Name of the new flow; empty takes the process's name.")
    state = fields.Selection([("upload", "Upload"), ("done", "Imported")], default="upload")
    flow_id = fields.Many2one("crossdept.flow", "Imported Flow", readonly=True)
    flow_ids = fields.Many2many(
        "crossdept.flow",
        string="Imported Flows",
        readonly=True,
        help="One draft flow per pool of the file.",
    )
    flow_count = fields.Integer(compute="_compute_flow_count")
    report = fields.Text(readonly=True)

    @api.depends("flow_ids")
    def _compute_flow_count(self):
        # the form shows one flow as a link, several as tags
        for wizard in self:
            wizard.flow_count = len(wizard.flow_ids)

    @api.model
    def _max_bytes(self):
        # a system parameter the flow manager may not read: only its number is used
        value = self.env["ir.config_parameter"].sudo().get_param(MAX_BYTES_PARAM)
        try:
            return int(value) if value else bpmn_import.DEFAULT_MAX_BYTES
        except ValueError:
            return bpmn_import.DEFAULT_MAX_BYTES

    def _file_bytes(self, max_bytes):
        if not self.bpmn_file:
            raise UserError(self.env._("Choose the BPMN file (.bpmn or .xml) to import."))
        encoded = self.bpmn_file
        # refuse a file over the limit before decoding it
        if len(encoded) * 3 // 4 > max_bytes + 3:
            raise UserError(
                self.env._(
                    "The file is too large: %(size)s bytes, the limit is %(limit)s bytes "
                    "(system parameter crossdept_ticket.bpmn_import_max_bytes).",
                    size=len(encoded) * 3 // 4,
                    limit=max_bytes,
                )
            )
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise UserError(self.env._("The uploaded file could not be read.")) from None

    def action_import(self):
        """Read the file and create a new draft flow as the acting user, through the
        ORM (the flow's constraints apply), then show and post what was not mapped."""
        self.ensure_one()
        max_bytes = self._max_bytes()
        pools = bpmn_import.read_bpmn(self.env, self._file_bytes(max_bytes), max_bytes=max_bytes)
        if not pools[0]["steps"]:
            raise UserError(self.env._("The BPMN process has no task: there is no step to import."))
        if len(pools) > 1 and (self.code or self.name):
            raise UserError(
                self.env._(
                    "The file has %(count)s pools with tasks (%(pools)s): each becomes its own "
                    "draft flow, coded and named after its pool. Leave Code and Name empty.",
                    count=len(pools),
                    pools=", ".join(
                        drawn["pool"] or drawn["name"] or drawn["process_id"] for drawn in pools
                    ),
                )
            )
        flows, reports = self.env["crossdept.flow"], []
        for drawn in pools:
            flow, lines = self._create_flow(drawn)
            flow.message_post(body=self._report_html(lines))
            flows |= flow
            reports.append("\n".join(lines))
        self.report = "\n\n".join(reports)
        self.write({"state": "done", "flow_id": flows[0].id, "flow_ids": [Command.set(flows.ids)]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import a Flow from BPMN"),
        }

    def action_open_flow(self):
        self.ensure_one()
        if len(self.flow_ids) > 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "crossdept.flow",
                "name": self.env._("Imported Flows"),
                "domain": [("id", "in", self.flow_ids.ids)],
                "view_mode": "list,form",
                "views": [(False, "list"), (False, "form")],
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "crossdept.flow",
            "res_id": self.flow_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _flow_code(self, drawn, company, lines):
        Flow = self.env["crossdept.flow"]

        def taken(code):
            return bool(
                Flow.with_context(active_test=False).search_count(
                    [("code", "=", code), ("company_id", "in", (company.id, False))],
                    limit=1,
                )
            )

        if self.code:
            code = self.code.strip()
            if taken(code):
                raise UserError(
                    self.env._(
                        "A flow with code %(code)s already exists: give the imported flow "
                        "another code.",
                        code=code,
                    )
                )
            return code
        base = drawn["process_id"]
        base = base[len("Process_") :] if base.startswith("Process_") else ""
        base = base or re.sub(r"[^A-Za-z0-9]+", "_", drawn["name"] or "").strip("_").upper()
        base = base or "BPMN"
        code, index = base, 1
        while taken(code):
            index += 1
            code = f"{base}_{index}"
        if code != base:
            lines.append(
                self.env._("Code %(code)s is taken: the new flow is %(new)s.", code=base, new=code)
            )
        return code

    def _create_flow(self, drawn):
        company = self.env.company
        lines = []
        code = self._flow_code(drawn, company, lines)
        steps = drawn["steps"]
        names = {step["department"] for step in steps if step["department"]}
        departments = {}
        for department in self.env["hr.department"].search(
            [("name", "in", sorted(names)), ("company_id", "in", (company.id, False))],
            order="id",
        ):
            departments.setdefault(department.name, department)
        missing_departments = sorted(names - departments.keys())
        approvers = [approver for step in steps for approver in step["approvers"]]
        logins = {approver["login"] for approver in approvers if approver.get("login")}
        users = {
            user.login: user
            for user in self.env["res.users"].search([("login", "in", sorted(logins))])
        }
        missing_logins = sorted(logins - users.keys())
        approver_departments = {a["department"] for a in approvers if a.get("department")}
        for department in self.env["hr.department"].search(
            [
                ("name", "in", sorted(approver_departments - departments.keys())),
                ("company_id", "in", (company.id, False)),
            ],
            order="id",
        ):
            departments.setdefault(department.name, department)
        missing_approver_departments = sorted(approver_departments - departments.keys())
        notes = list(drawn["notes"])

        flow = self.env["crossdept.flow"].create(
            {
                "name": self.name or drawn["name"] or self.bpmn_filename or code,
                "code": code,
                "company_id": company.id,
            }
        )
        vals_list = [self._step_vals(flow, step, departments, users, notes) for step in steps]
        records = self.env["crossdept.flow.step"].create(vals_list)
        by_key = dict(zip((step["key"] for step in steps), records, strict=True))
        for step, record in zip(steps, records, strict=True):
            if step["preds"]:
                record.predecessor_ids = [Command.set([by_key[key].id for key in step["preds"]])]
        preds = {step["key"]: set(step["preds"]) for step in steps}
        for step, record in zip(steps, records, strict=True):
            target = step.get("reject_return")
            if record.kind != "approval" or record.reject_action != "return" or not target:
                continue
            if target in by_key and target in graph.ancestors([step["key"]], preds) - {step["key"]}:
                record.reject_return_step_id = by_key[target]
            else:
                notes.append(
                    {
                        "element": step["key"],
                        "type": "crossdept:step",
                        "name": step["name"],
                        "message": self.env._(
                            "The step a rejection returns to (%(target)s) is not an earlier "
                            "step: choose it on the flow.",
                            target=target,
                        ),
                    }
                )

        lines.insert(
            0,
            self.env._(
                "%(count)s steps imported from %(file)s into the draft flow %(flow)s.",
                count=len(records),
                file=self.bpmn_filename or self.env._("the file"),
                flow=flow.display_name,
            ),
        )
        if missing_departments:
            lines.append(
                self.env._(
                    "Departments not found in %(company)s (their steps have no department): "
                    "%(names)s",
                    company=company.name,
                    names=", ".join(missing_departments),
                )
            )
        if missing_logins:
            lines.append(
                self.env._(
                    "Approvers not found (no user with this login): %(logins)s",
                    logins=", ".join(missing_logins),
                )
            )
        if missing_approver_departments:
            lines.append(
                self.env._(
                    "Departments of approvers not found in %(company)s (those approver "
                    "lines are left out): %(names)s",
                    company=company.name,
                    names=", ".join(missing_approver_departments),
                )
            )
        if notes:
            lines.append(self.env._("Elements not mapped or only approximated:"))
            lines.extend(
                self.env._(
                    "- %(type)s %(name)s (%(id)s): %(message)s",
                    type=note["type"],
                    name=note["name"] or "",
                    id=note["element"],
                    message=note["message"],
                )
                for note in notes
            )
        else:
            lines.append(self.env._("Every element of the file was mapped."))
        return flow, lines

    def _step_vals(self, flow, step, departments, users, notes):
        def note(message):
            notes.append(
                {"element": step["key"], "type": "task", "name": step["name"], "message": message}
            )

        vals = {
            "flow_id": flow.id,
            "name": step["name"],
            "sequence": step["sequence"],
            "kind": step["kind"],
            "diagram_x": step["x"],
            "diagram_y": step["y"],
            "department_id": departments[step["department"]].id
            if step["department"] in departments
            else False,
        }
        for key in (
            "sla_hours",
            "skip_when_urgent",
            "value_adding",
            "portal_visible",
            "approval_policy",
            "approval_min_count",
            "approval_min_percent",
            "allow_requester_approval",
            "approval_timeout_action",
            "require_decision_comment",
            "reject_action",
        ):
            if key in step:
                vals[key] = step[key]
        condition = step["condition"]
        if condition and condition != "[]":
            error = self.env["crossdept.flow"]._ticket_domain_error(condition)
            if error:
                note(
                    self.env._(
                        "Its condition %(condition)s is not an Odoo domain on tickets "
                        "(%(error)s): the step runs unconditionally.",
                        condition=condition,
                        error=error,
                    )
                )
            else:
                vals["condition_domain"] = condition
        lines = (self._approver_line(a, users, departments) for a in step["approvers"])
        approvers = [line for line in lines if line]
        if approvers and step["kind"] != "approval":
            note(self.env._("Approvers of a task are not imported: only approvals have them."))
            approvers = []
        if approvers:
            vals["raci_ids"] = [Command.create(line) for line in approvers]
        if vals.get("approval_policy") == "count" and vals.get("approval_min_count", 1) > len(
            approvers
        ):
            if approvers:
                vals["approval_min_count"] = len(approvers)
                note(
                    self.env._(
                        "Only %(count)s of its approvers were found: the approval asks for "
                        "%(count)s approvals.",
                        count=len(approvers),
                    )
                )
            else:
                vals["approval_policy"] = "all"
                note(
                    self.env._(
                        "None of its approvers was found: its “at least N” policy became "
                        "“all approvers”; name the approvers on the flow."
                    )
                )
        return vals

    @staticmethod
    def _approver_line(approver, users, departments):
        """The values of the Responsible RACI line of an approver read from the
        file, or None when the user or department it names is not found (the
        report lists those)."""
        line = {"role": "responsible", "holder_type": approver["source"]}
        if approver["source"] == "user":
            if approver["login"] not in users:
                return None
            line["user_id"] = users[approver["login"]].id
        elif approver["source"] in ("department_manager", "department"):
            if approver["department"] not in departments:
                return None
            line["department_id"] = departments[approver["department"]].id
        return line

    def _report_html(self, lines):
        items = Markup("").join(Markup("<li>%s</li>") % line for line in lines[1:])
        return Markup("<p>%s</p><ul>%s</ul>") % (lines[0], items)
