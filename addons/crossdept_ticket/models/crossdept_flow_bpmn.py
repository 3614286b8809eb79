from odoo import models

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

    def _bpmn_export(self):
        """The flow version as BPMN 2.0 XML with diagram interchange (bytes, UTF-8).
        Names are in the language of the flow's creator, the one it was written in."""
        self.ensure_one()
        lang = self.create_uid.lang or self.env.lang
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
            )
            if step.reject_action == "return" and step.reject_return_step_id:
                attrs["reject_return"] = bpmn_export.element_id(
                    "Step", step.reject_return_step_id.id
                )
            approvers = step.raci_ids.filtered(
                lambda line: line.role == "responsible" and line.holder_type == "user"
            ).user_id.mapped("login")
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
