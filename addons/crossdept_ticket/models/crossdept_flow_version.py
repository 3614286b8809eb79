from odoo import Command, models
from odoo.exceptions import UserError


class CrossdeptFlow(models.Model):
    """Versions of a flow, and the variants pilots try beside the active version."""

    _inherit = "crossdept.flow"

    def action_new_version(self):
        """Open a draft of the next version: the open draft of the same flow when
        there is one that no ticket runs on, else a copy of this version."""
        self.ensure_one()
        drafts = self.search(
            [
                ("code", "=", self.code),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "draft"),
            ],
            order="version desc",
        )
        running = drafts._running_ticket_counts()
        new_flow = drafts.filtered(lambda flow: not running.get(flow.id))[:1]
        if not new_flow:
            latest = self.with_context(active_test=False).search(
                [("code", "=", self.code), ("company_id", "=", self.company_id.id)],
                order="version desc",
                limit=1,
            )
            new_flow = self._copy_as_version(latest.version + 1)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crossdept.flow",
            "res_id": new_flow.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Pilots (crossdept_analytics): a variant runs beside the active version
    # ------------------------------------------------------------------

    def _activate_as_pilot_variant(self):
        """Activate these drafts without archiving the active version: a running
        pilot routes only its own tickets to them."""
        for flow in self:
            if flow.state != "draft":
                raise UserError(
                    self.env._(
                        "Flow %(flow)s must be a draft to be tried in a pilot.",
                        flow=flow.display_name,
                    )
                )
            flow._check_activation()
        self._engine().write({"state": "active"})

    def _end_pilot_variant(self):
        """Back to draft after a pilot that did not promote them; they stay locked
        while tickets still run on them."""
        self.filtered(lambda flow: flow.state == "active")._engine().write({"state": "draft"})

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------

    def _copy_as_version(self, version):
        """Copy the flow into the draft ``version``: its steps with their predecessors,
        RACI lines, deliverables, required skills and inputs, conditions, calendar,
        flags and the step a rejection returns to, and the escalation rules of the
        flow and of its steps, all pointing to the copies."""
        self.ensure_one()
        new_flow = (
            self._engine()
            .copy({"version": version, "previous_version_id": self.id, "step_ids": False})
            .with_env(self.env)
        )
        steps = self.step_ids
        new_steps = steps.copy(
            {"flow_id": new_flow.id, "predecessor_ids": False, "reject_return_step_id": False}
        )
        mapping = dict(zip(steps, new_steps, strict=True))
        for step, new_step in mapping.items():
            if step.predecessor_ids:
                new_step.predecessor_ids = [
                    Command.set([mapping[p].id for p in step.predecessor_ids if p in mapping])
                ]
        for step, new_step in mapping.items():
            if step.reject_return_step_id in mapping:
                new_step.reject_return_step_id = mapping[step.reject_return_step_id]
        self._copy_escalation_rules(new_flow, mapping)
        return new_flow

    def _copy_escalation_rules(self, new_flow, mapping):
        self.ensure_one()
        # every rule of the flow is copied, whichever company it serves
        Rule = self.env["crossdept.escalation.rule"].sudo().with_context(active_test=False)
        rules = Rule.search(
            ["|", ("flow_id", "=", self.id), ("flow_step_id", "in", self.step_ids.ids)],
            order="sequence, id",
        )
        vals_list = [
            rule.copy_data(
                {
                    "flow_id": new_flow.id if rule.flow_id == self else rule.flow_id.id,
                    "flow_step_id": mapping[rule.flow_step_id].id if rule.flow_step_id else False,
                }
            )[0]
            for rule in rules
        ]
        new_rules = Rule.create(vals_list)
        for rule, new_rule in zip(rules, new_rules, strict=True):
            rule.copy_translations(new_rule)
        return new_rules
