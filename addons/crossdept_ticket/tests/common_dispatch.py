from freezegun import freeze_time

from odoo import Command

from .common import USER
from .common_flow import CrossdeptFlowCase

# the test calendar works Mon-Fri 8-12 and 13-17 UTC; every dispatch runs at a frozen
# time, so that no result depends on the hour the tests run at
MONDAY_9AM = "2026-11-23 09:00:00"


class CrossdeptDispatchCase(CrossdeptFlowCase):
    """A Support department of four agents on the test calendar, its manager in IT, and
    a flow of one automatically dispatched step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.support = cls.env["hr.department"].create(
            {"name": "Support (test)", "crossdept_max_open_steps": 5}
        )
        # the manager belongs to another department: only the fallback of dispatch
        cls.support_manager = cls._make_user("support_manager", USER, cls.dept_it)
        cls.support.manager_id = cls.support_manager.employee_ids
        cls.agents = cls.env["res.users"]
        for index in range(1, 5):
            cls.agents |= cls._make_user(f"agent_{index}", USER, cls.support)
        cls.support_employees = cls.env["hr.employee"].search(
            [("department_id", "=", cls.support.id)]
        )
        cls.support_employees.resource_calendar_id = cls.calendar
        cls.agent_employees = cls.agents.employee_ids
        cls.flow, cls.steps = cls._make_flow(
            [{"name": "Handle", "assignment": "auto", "department_id": cls.support.id}],
            activate=False,
        )
        cls.python = cls.env["hr.skill.type"].create(
            {
                "name": "Programming (test)",
                "skill_ids": [Command.create({"name": "Python"})],
                "skill_level_ids": [
                    Command.create({"name": "Beginner", "level_progress": 20}),
                    Command.create({"name": "Advanced", "level_progress": 70}),
                    Command.create({"name": "Expert", "level_progress": 100}),
                ],
            }
        )

    def _level(self, name):
        return self.python.skill_level_ids.filtered(lambda level: level.name == name)

    def _give_skill(self, agent, level):
        self.env["hr.employee.skill"].create(
            {
                "employee_id": agent.employee_ids.id,
                "skill_type_id": self.python.id,
                "skill_id": self.python.skill_ids.id,
                "skill_level_id": self._level(level).id,
            }
        )

    def _require_python(self, level):
        self.steps["Handle"].skill_requirement_ids = [
            Command.create(
                {
                    "skill_type_id": self.python.id,
                    "skill_id": self.python.skill_ids.id,
                    "level_id": self._level(level).id,
                }
            )
        ]

    def _start(self, count=1, priority="1", when=MONDAY_9AM):
        if self.flow.state == "draft":
            self.flow.action_activate()
        with freeze_time(when):
            tickets = self.env["crossdept.ticket"].browse()
            for _index in range(count):
                tickets |= self._make_ticket(priority=priority, flow_id=self.flow.id)
            tickets.action_start_flow()
        return tickets.step_ids

    def _loads(self):
        return [
            self.env["crossdept.ticket.step"].search_count(
                [("user_id", "=", agent.id), ("state", "in", ("ready", "in_progress"))]
            )
            for agent in self.agents
        ]
