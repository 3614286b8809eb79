from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

# the departments fields below: the record rules read them (as lists of ids)
RULE_DEPARTMENT_FIELDS = ["crossdept_department_ids", "crossdept_managed_department_ids"]


class ResUsers(models.Model):
    """The departments a user sees tickets of, given to the record rules as lists of
    ids: a rule then compares a ticket's department with ids (one indexed test in
    SQL, and no read of the department's members when Odoo re-checks fetched records
    in Python). The rules' domains are cached per user: whatever changes these sets
    (an employee's user or department, a department's manager or parent) clears that
    cache (``_crossdept_rule_departments_changed``)."""

    _inherit = "res.users"

    # an archived employee (someone who left) no longer gives their user the
    # department's tickets, nor does an archived manager; archived departments
    # still count, their tickets are history their people keep
    crossdept_department_ids = fields.Many2many(
        "hr.department",
        string="CrossDept Departments",
        compute="_compute_crossdept_department_ids",
        context={"active_test": False},
        help="The departments of the user's employees, in every company: the user "
        "sees their tickets and takes the steps of their queues.",
    )
    crossdept_managed_department_ids = fields.Many2many(
        "hr.department",
        string="CrossDept Managed Departments",
        compute="_compute_crossdept_managed_department_ids",
        context={"active_test": False},
        help="The departments one of the user's employees manages, and their direct "
        "sub-departments: a CrossDept manager sees their tickets.",
    )

    def _compute_crossdept_department_ids(self):
        # sudo: membership decides what a user may see, whatever they may read of HR
        Employee = self.env["hr.employee"].sudo()
        departments = dict(
            Employee._read_group(
                [
                    ("user_id", "in", self.ids),
                    ("department_id", "!=", False),
                    ("active", "=", True),
                ],
                ["user_id"],
                ["department_id:recordset"],
            )
        )
        for user in self:
            user.crossdept_department_ids = departments.get(user._origin, False)

    def _compute_crossdept_managed_department_ids(self):
        # sudo: as above, the managers of departments whatever the user reads of HR
        Department = self.env["hr.department"].sudo().with_context(active_test=False)
        managed = Department.search(
            [
                "|",
                ("manager_id.user_id", "in", self.ids),
                ("parent_id.manager_id.user_id", "in", self.ids),
            ]
        )
        by_user = defaultdict(lambda: Department)
        for department in managed:
            managers = department.manager_id | department.parent_id.manager_id
            for manager in managers.filtered("active"):
                by_user[manager.user_id.id] |= department
        for user in self:
            user.crossdept_managed_department_ids = by_user[user._origin.id]

    @api.model
    def _crossdept_rule_departments_changed(self):
        """Someone's departments may have changed: the rules' cached domains and the
        fields they were made of are computed again at their next use."""
        self.invalidate_model(RULE_DEPARTMENT_FIELDS)
        # the domains of the record rules are cached per user (ir.rule._compute_domain),
        # as Odoo clears them when rules or groups change
        self.env.registry.clear_cache()

    def _crossdept_lock_rows(self):
        """Serialise, per person, the checks that read what other transactions may be
        writing about the same people at once (two delegations crossing, two timers
        started in two tabs): such a check would miss the other transaction's rows.

        Each transaction updates the rows of these users first (a no-op UPDATE, so
        that a second transaction waits for the first, then fails to serialise and
        is run again by Odoo: RPC and HTTP retry it, and its check then sees the
        first one's rows). The rows are taken in id order, so that two transactions
        locking the same people never wait for each other crosswise (deadlock)."""
        for user_id in sorted(set(self.ids)):
            self.env.cr.execute(
                SQL("UPDATE res_users SET write_date = write_date WHERE id = %s", user_id)
            )
