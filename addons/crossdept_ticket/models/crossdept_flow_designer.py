from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools import bpmn_export

ADMIN_GROUP = "crossdept_ticket.group_crossdept_ticket_admin"
STEP_KINDS = ("task", "approval")


class CrossdeptFlow(models.Model):
    """The designer's server side: the canvas sends operations, they go through the
    ORM and its guards, and the canvas is redrawn from what was saved.

    Every change of a flow's steps counts one revision. The designer sends the
    revision it drew; a change made meanwhile by someone else (designer or form)
    refuses the operations, naming who made it, instead of overwriting it."""

    _inherit = "crossdept.flow"

    designer_revision = fields.Integer(
        default=0, readonly=True, copy=False, help="Counts the changes of the flow's steps."
    )
    designer_write_uid = fields.Many2one(
        "res.users",
        "Steps Last Changed By",
        readonly=True,
        copy=False,
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "designer_revision": "designer_apply",
            "designer_write_uid": "designer_apply",
        }

    def _designer_touch(self):
        """Count a change of the steps of these flows, made by the current user."""
        flows = self.filtered(lambda flow: isinstance(flow.id, int))
        if not flows:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_flow
                   SET designer_revision = COALESCE(designer_revision, 0) + 1,
                       designer_write_uid = %s
                 WHERE id IN %s
                """,
                self.env.uid,
                tuple(flows.ids),
            )
        )
        flows.invalidate_recordset(["designer_revision", "designer_write_uid"])

    def _check_designer_access(self):
        if not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._("Only CrossDept administrators may design flows and check them.")
            )

    # ------------------------------------------------------------------
    # Calls of the canvas
    # ------------------------------------------------------------------

    def designer_load(self):
        """What the canvas draws: the BPMN XML, the revision, the problems."""
        self.ensure_one()
        self._check_designer_access()
        return self._designer_state()

    def designer_validate(self):
        """The problems that refuse the activation, per step (the same checks)."""
        self.ensure_one()
        self._check_designer_access()
        return self._designer_errors()

    def designer_apply(self, revision, operations, draw=True):
        """Apply the canvas's ``operations`` (list of dicts, see ``_designer_op_*``)
        if the flow is still at ``revision``; return the new state and the
        operations that undo these. ``draw=False``: the canvas already shows the
        result (it moved or renamed steps itself) and only needs the facts, the
        problems and the revision, not the BPMN XML to draw again."""
        self.ensure_one()
        self._check_designer_access()
        self.check_access("write")
        # serialise the designers of this flow: whoever comes second waits here,
        # then reads the revision the first one left
        self.env.cr.execute(
            SQL(
                "SELECT designer_revision, designer_write_uid FROM crossdept_flow"
                " WHERE id = %s FOR NO KEY UPDATE",
                self.id,
            )
        )
        current, writer_id = self.env.cr.fetchone()
        current = current or 0
        self.invalidate_recordset(["designer_revision", "designer_write_uid"])
        self._check_editable()
        if current != revision:
            writer = self.env["res.users"].browse(writer_id)
            raise UserError(
                self.env._(
                    "Flow %(flow)s was changed by %(user)s after the designer drew it: your "
                    "change was not saved. Reload the designer to see their change, then "
                    "make yours again.",
                    flow=self.display_name,
                    user=writer.name or self.env._("another user"),
                )
            )
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise UserError(self.env._("The designer sent operations that are not a list."))
        self._designer_fix_layout()
        undo, created = [], []
        flow = self.with_context(crossdept_designer_created=created)
        for operation in operations:
            handler = getattr(flow, f"_designer_op_{operation.get('op')}", None)
            if operation.get("op") not in DESIGNER_OPS or not handler:
                raise UserError(
                    self.env._(
                        "The designer sent an unknown operation: %(op)s.", op=operation.get("op")
                    )
                )
            inverse, new_steps = handler(operation)
            undo = inverse + undo
            created += new_steps.ids
        state = self._designer_state(xml=bool(draw))
        state.update(undo=undo, created=created)
        return state

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _designer_state(self, xml=True):
        self.invalidate_recordset(["designer_revision", "designer_write_uid", "locked"])
        policies = dict(
            self.env["crossdept.flow.step"]
            ._fields["approval_policy"]
            ._description_selection(self.env)
        )
        state = {
            "revision": self.designer_revision,
            "locked": self.locked,
            "errors": self._designer_errors(),
            "steps": [
                {
                    "id": step.id,
                    "element": bpmn_export.element_id("Step", step.id),
                    "kind": step.kind,
                    "department": step.department_id.name or "",
                    "department_id": step.department_id.id or False,
                    "x": step.diagram_x,
                    "y": step.diagram_y,
                    "name": step.name,
                    "sla_hours": step.sla_hours,
                    "approval_policy": step.kind == "approval" and policies[step.approval_policy],
                    "condition": (step.condition_domain or "[]").strip() != "[]",
                    "skip_when_urgent": step.skip_when_urgent,
                }
                for step in self.step_ids
            ],
        }
        if xml:
            # the lanes change only with a drawing (a step moved to another lane is drawn);
            # renaming on the canvas writes the name in the editor's language
            state["xml"] = self._bpmn_export(lang=self.env.lang).decode()
            state["lanes"] = self._designer_lanes()
        return state

    def _designer_errors(self):
        """The problems that refuse the activation (level "error"), then the
        designer's warnings, which do not: the steps without a department."""
        problems = [(step, message, "error") for step, message in self._activation_errors()]
        problems += [
            (
                step,
                self.env._("Step %(step)s has no responsible department.", step=step.name),
                "warning",
            )
            for step in self.step_ids.filtered(lambda step: not step.department_id)
        ]
        return [
            {
                "step_id": step.id or False,
                "element": bpmn_export.element_id("Step", step.id) if step else False,
                "message": message,
                "level": level,
            }
            for step, message, level in problems
        ]

    def _designer_lanes(self):
        """{lane element id: its department's id, False for "No department"}, the
        lanes the export draws (named in the editor's language, as the canvas)."""
        flow = self
        departments, values = {}, []
        for step in flow.step_ids.sorted(lambda step: (step.sequence, step.id)):
            name = step.department_id.name or ""
            departments.setdefault(name or None, step.department_id.id)
            values.append({"department": name})
        return {
            lane: departments.get(name) or False
            for name, lane in bpmn_export.lane_element_ids(values).items()
        }

    def _designer_department(self, operation):
        """The department of the lane a step was dropped in (none outside them)."""
        value = operation.get("department")
        department = self.env["hr.department"]
        if value is False or value is None:
            return department
        if isinstance(value, int) and not isinstance(value, bool):
            department = department.browse(value).exists()
        if not department:
            raise UserError(
                self.env._(
                    "The designer sent department %(department)s, which is not a department "
                    "(any more): reload the designer.",
                    department=value,
                )
            )
        return department

    def _designer_fix_layout(self):
        """Store the automatic layout before the first edit, so that moving one step
        leaves the others where the canvas shows them."""
        steps = self.step_ids
        if not steps or any(step.diagram_x or step.diagram_y for step in steps):
            return
        positions = bpmn_export.step_positions([self._bpmn_step_values(s) for s in steps])
        # one UPDATE for every step (a 200-step flow), not a write per step or per
        # column: positions are the diagram's, no rule or constraint reads them, and
        # the caller checked the flow's lock and counts the revision
        steps.flush_recordset(["diagram_x", "diagram_y"])
        values = SQL(", ").join(SQL("(%s, %s, %s)", step.id, *positions[step.id]) for step in steps)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_flow_step AS step
                   SET diagram_x = position.x, diagram_y = position.y,
                       write_uid = %s, write_date = (now() at time zone 'UTC')
                  FROM (VALUES %s) AS position(id, x, y)
                 WHERE step.id = position.id
                """,
                self.env.uid,
                values,
            )
        )
        steps.invalidate_recordset(["diagram_x", "diagram_y", "write_uid", "write_date"])
        self._designer_touch()

    def _designer_step(self, value):
        """The step a canvas operation names: its id, or "new:<n>" for the n-th step
        the same call created (a task appended and connected in one gesture)."""
        step = self.env["crossdept.flow.step"]
        created = self.env.context.get("crossdept_designer_created") or []
        if isinstance(value, str) and value.startswith("new:") and value[4:].isdigit():
            index = int(value[4:])
            value = created[index] if index < len(created) else value
        if isinstance(value, int) and not isinstance(value, bool):
            step = step.browse(value).exists()
        if not step or step.flow_id != self:
            raise UserError(
                self.env._(
                    "Step %(step)s is not a step of flow %(flow)s (any more): reload the designer.",
                    step=value,
                    flow=self.display_name,
                )
            )
        return step

    def _designer_int(self, operation, key):
        value = operation.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UserError(
                self.env._(
                    "The designer sent %(key)s=%(value)s, which is not a number.",
                    key=key,
                    value=value,
                )
            )
        return round(value)

    # ------------------------------------------------------------------
    # Operations: each returns (the operations that undo it, steps it created)
    # ------------------------------------------------------------------

    def _designer_op_add_step(self, operation):
        kind = operation.get("kind") or "task"
        if kind not in STEP_KINDS:
            raise UserError(self.env._("A step is a task or an approval, not %(kind)s.", kind=kind))
        names = {"task": self.env._("New task"), "approval": self.env._("New approval")}
        step = self.env["crossdept.flow.step"].create(
            {
                "flow_id": self.id,
                "name": operation.get("name") or names[kind],
                "kind": kind,
                "sequence": max(self.step_ids.mapped("sequence"), default=0) + 1,
                "diagram_x": self._designer_int(operation, "x"),
                "diagram_y": self._designer_int(operation, "y"),
                "department_id": self._designer_department(operation).id,
            }
        )
        return [{"op": "delete_step", "step": step.id}], step

    def _designer_op_delete_step(self, operation):
        step = self._designer_step(operation.get("step"))
        successors = self.step_ids.filtered(lambda other: step in other.predecessor_ids)
        returners = self.step_ids.filtered(lambda other: other.reject_return_step_id == step)
        vals = step.copy_data()[0]
        vals["name"] = step.name
        step.unlink()
        inverse = {
            "op": "restore_step",
            "vals": vals,
            "successors": successors.ids,
            "returners": returners.ids,
        }
        return [inverse], self.env["crossdept.flow.step"]

    def _designer_op_restore_step(self, operation):
        """Undo of a deletion: the step again (a new record), with its links."""
        vals = dict(operation.get("vals") or {}, flow_id=self.id)
        successors = self.step_ids.browse(
            [i for i in operation.get("successors", []) if isinstance(i, int)]
        ).exists()
        returners = self.step_ids.browse(
            [i for i in operation.get("returners", []) if isinstance(i, int)]
        ).exists()
        step = self.env["crossdept.flow.step"].create(vals)
        successors.filtered(lambda s: s.flow_id == self).write(
            {"predecessor_ids": [Command.link(step.id)]}
        )
        returners.filtered(lambda s: s.flow_id == self).write({"reject_return_step_id": step.id})
        return [{"op": "delete_step", "step": step.id}], step

    def _designer_op_link(self, operation):
        source = self._designer_step(operation.get("source"))
        target = self._designer_step(operation.get("target"))
        if source == target:
            raise UserError(self.env._("Step %(step)s cannot come after itself.", step=target.name))
        if source in target.predecessor_ids:
            return [], source.browse()
        target.write({"predecessor_ids": [Command.link(source.id)]})
        return [{"op": "unlink", "source": source.id, "target": target.id}], source.browse()

    def _designer_op_unlink(self, operation):
        source = self._designer_step(operation.get("source"))
        target = self._designer_step(operation.get("target"))
        if source not in target.predecessor_ids:
            return [], source.browse()
        target.write({"predecessor_ids": [Command.unlink(source.id)]})
        return [{"op": "link", "source": source.id, "target": target.id}], source.browse()

    def _designer_op_move(self, operation):
        step = self._designer_step(operation.get("step"))
        before = {"op": "move", "step": step.id, "x": step.diagram_x, "y": step.diagram_y}
        vals = {
            "diagram_x": self._designer_int(operation, "x"),
            "diagram_y": self._designer_int(operation, "y"),
        }
        if "department" in operation:  # moved into a lane: the step follows it
            before["department"] = step.department_id.id
            vals["department_id"] = self._designer_department(operation).id
        step.write(vals)
        return [before], step.browse()

    def _designer_op_rename(self, operation):
        step = self._designer_step(operation.get("step"))
        name = (operation.get("name") or "").strip()
        if not name:
            raise UserError(self.env._("Step %(step)s needs a name.", step=step.name))
        before = {"op": "rename", "step": step.id, "name": step.name}
        step.write({"name": name})
        return [before], step.browse()


DESIGNER_OPS = ("add_step", "delete_step", "restore_step", "link", "unlink", "move", "rename")
