from odoo import fields, models

from ..tools import bpmn_export


class CrossdeptFlow(models.Model):
    _inherit = "crossdept.flow"

    def action_export_bpmn(self):
        """Download the flow version as a BPMN 2.0 file."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/crossdept/flow/{self.id}/bpmn",
            "target": "download",
        }

    def _bpmn_export(self, lang=None):
        """The flow version as BPMN 2.0 XML with diagram interchange (bytes, UTF-8).
        Names are in ``lang``; a file (no ``lang``) is in the language of the flow's
        creator, the one it was written in."""
        self.ensure_one()
        lang = lang or self.create_uid.lang or self.env.lang
        flow = self.with_context(lang=lang)
        steps = flow.step_ids.sorted(lambda step: (step.sequence, step.id))
        return bpmn_export.build(
            {"code": flow.code, "name": flow.name},
            [self._bpmn_step_values(step) for step in steps],
        )

    def _bpmn_step_values(self, step):
        """A step as the plain values bpmn_export.build reads."""
        attrs = {
            "kind": step.kind,
            "sla_hours": step.sla_hours,
            "skip_when_urgent": step.skip_when_urgent,
            "value_adding": step.value_adding,
            "portal_visible": step.portal_visible,
            "department": step.department_id.name or "",
        }
        approvers = []
        if step.kind == "approval":
            attrs.update(
                approval_policy=step.approval_policy,
                approval_min_count=step.approval_min_count,
                approval_min_percent=step.approval_min_percent,
                reject_action=step.reject_action,
                allow_requester_approval=step.allow_requester_approval,
                approval_timeout_action=step.approval_timeout_action,
                require_decision_comment=step.require_decision_comment,
            )
            if step.reject_action == "return" and step.reject_return_step_id:
                attrs["reject_return"] = bpmn_export.element_id(
                    "Step", step.reject_return_step_id.id
                )
            approvers = [
                self._bpmn_approver_values(line)
                for line in step.raci_ids
                if line.role == "responsible"
            ]
        return {
            "id": step.id,
            "name": step.name or "",
            "kind": step.kind,
            "preds": step.predecessor_ids.ids,
            "department": step.department_id.name or "",
            "x": step.diagram_x,
            "y": step.diagram_y,
            "condition": step.condition_domain or "",
            "attrs": attrs,
            "approvers": approvers,
        }

    def _bpmn_approver_values(self, line):
        """A Responsible line of an approval as a ``crossdept:approver``: who
        approves (the line's holder type) and the user or department it names."""
        if line.holder_type == "user":
            return {"source": "user", "login": line.user_id.login}
        values = {"source": line.holder_type}
        if line.holder_type in ("department_manager", "department"):
            values["department"] = line.department_id.name or ""
        return values

    def diagram_data(self, ticket_id=False):
        """What a read-only diagram draws: the BPMN of the flow version, the facts
        of its steps, and for a ticket the state of each of its steps. Read with
        the reader's own rights on the flow and on the ticket."""
        self.ensure_one()
        self.check_access("read")
        steps = self.step_ids
        data = {
            # the reader's language, as the rest of the page
            "xml": self._bpmn_export(lang=self.env.lang).decode(),
            "steps": [
                {
                    "element": bpmn_export.element_id("Step", step.id),
                    "kind": step.kind,
                    "department": step.department_id.name or "",
                    "sla_hours": step.sla_hours,
                    "skip_when_urgent": step.skip_when_urgent,
                    "condition": (step.condition_domain or "[]").strip() != "[]",
                }
                for step in steps
            ],
            "states": {},
        }
        if ticket_id:
            ticket = self.env["crossdept.ticket"].browse(ticket_id)
            ticket.check_access("read")
            labels = dict(
                self.env["crossdept.ticket.step"]._fields["state"]._description_selection(self.env)
            )
            for run in ticket.step_ids.filtered(lambda run: run.flow_step_id in steps):
                data["states"][bpmn_export.element_id("Step", run.flow_step_id.id)] = {
                    "step_id": run.id,
                    "state": run.state,
                    "label": labels[run.state],
                    "sla_status": run.sla_status or False,
                    "holder": run.user_id.name or "",
                    "deadline": fields.Datetime.to_string(run.date_deadline)
                    if run.date_deadline
                    else False,
                }
        return data
