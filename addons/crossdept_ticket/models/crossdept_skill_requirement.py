from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrossdeptSkillRequirement(models.Model):
    _name = "crossdept.skill.requirement"
    _description = "Required Skill"
    _order = "id"

    flow_step_id = fields.Many2one(
        "crossdept.flow.step", ondelete="cascade", index="btree_not_null"
    )
    type_id = fields.Many2one("crossdept.ticket.type", ondelete="cascade", index="btree_not_null")
    skill_type_id = fields.Many2one("hr.skill.type", required=True)
    skill_id = fields.Many2one(
        "hr.skill", required=True, domain="[('skill_type_id', '=', skill_type_id)]"
    )
    level_id = fields.Many2one(
        "hr.skill.level",
        "Minimum Level",
        required=True,
        domain="[('skill_type_id', '=', skill_type_id)]",
    )
    min_progress = fields.Integer(related="level_id.level_progress")

    @api.constrains("skill_id", "level_id", "skill_type_id")
    def _check_skill_type(self):
        for line in self:
            if (
                line.skill_id.skill_type_id != line.skill_type_id
                or line.level_id.skill_type_id != line.skill_type_id
            ):
                raise ValidationError(
                    self.env._(
                        "Required skill %(skill)s: the skill and its level must be of the "
                        "type %(type)s.",
                        skill=line.skill_id.name,
                        type=line.skill_type_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        steps = self.env["crossdept.flow.step"].browse(
            {vals.get("flow_step_id") for vals in vals_list if vals.get("flow_step_id")}
        )
        steps.flow_id._check_editable()
        return super().create(vals_list)

    def write(self, vals):
        steps = self.flow_step_id
        if vals.get("flow_step_id"):
            steps |= self.env["crossdept.flow.step"].browse(vals["flow_step_id"])
        steps.flow_id._check_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_flow(self):
        self.flow_step_id.flow_id._check_editable()
