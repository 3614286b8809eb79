from odoo import Command
from odoo.tests import new_test_user, tagged

from .common_flow import CrossdeptFlowCase

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


def as_reader(records, user):
    """``records`` as ``user`` reads them: with their rights and in their language,
    as a request of theirs does."""
    return records.with_user(user).with_context(lang=user.lang)


@tagged("post_install", "-at_install")
class TestFlowNamesTranslation(CrossdeptFlowCase):
    """The names configured on a flow are shown in each reader's language, on the
    flow and on the steps of the tickets that run it, whoever started them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        # the engineer works in Chinese, the manager in English
        cls.it_user.lang = "zh_CN"
        cls.it_manager.lang = "en_US"
        cls.flow_admin = new_test_user(cls.env, "flow_admin", groups=ADMIN, lang="zh_CN")
        cls.flow, steps = cls._make_flow(
            [{"name": "Technical feasibility", "user": cls.it_user}],
            activate=False,
            name="Change request",
        )
        cls.flow_step = steps["Technical feasibility"]
        cls.flow_step.deliverable_ids = [Command.create({"name": "Feasibility assessment"})]
        cls.flow.update_field_translations("name", {"zh_CN": "变更请求"})
        cls.flow_step.update_field_translations("name", {"zh_CN": "技术可行性评估"})
        cls.flow_step.deliverable_ids.update_field_translations("name", {"zh_CN": "可行性评估报告"})
        cls.flow.action_activate()

    def _names(self, ticket, user):
        step = as_reader(ticket, user).step_ids
        return (
            step.flow_step_id.flow_id.name,
            step.name,
            step.deliverable_ids.name,
            step.deliverable_ids.step_name,
        )

    def _started_by(self, user):
        ticket = self._make_ticket(flow_id=self.flow.id, requester_id=user.id)
        as_reader(ticket, user).action_start_flow()
        return ticket

    def test_each_reader_sees_the_steps_in_their_language(self):
        # started by the Chinese engineer: the English manager still reads English
        ticket = self._started_by(self.it_user)
        self.assertEqual(
            self._names(ticket, self.it_manager),
            (
                "Change request",
                "Technical feasibility",
                "Feasibility assessment",
                "Technical feasibility",
            ),
        )
        self.assertEqual(
            self._names(ticket, self.it_user),
            ("变更请求", "技术可行性评估", "可行性评估报告", "技术可行性评估"),
        )

    def test_started_in_english_the_chinese_reader_sees_chinese(self):
        ticket = self._started_by(self.it_manager)
        self.assertEqual(
            self._names(ticket, self.it_user),
            ("变更请求", "技术可行性评估", "可行性评估报告", "技术可行性评估"),
        )
        step = as_reader(ticket, self.it_user).step_ids
        self.assertEqual(step.display_name, f"{ticket.name} / 技术可行性评估")

    def test_a_search_by_name_finds_the_step_in_the_readers_language(self):
        ticket = self._started_by(self.it_manager)
        Step = self.env["crossdept.ticket.step"]
        self.assertEqual(
            as_reader(Step, self.it_user).search(
                [("ticket_id", "=", ticket.id), ("name", "=", "技术可行性评估")]
            ),
            ticket.step_ids,
        )
        self.assertEqual(
            as_reader(Step, self.it_manager).search(
                [("ticket_id", "=", ticket.id), ("name", "=", "Technical feasibility")]
            ),
            ticket.step_ids,
        )

    def test_new_version_keeps_the_translations(self):
        # the administrator works in Chinese: the copy keeps English and Chinese
        action = as_reader(self.flow, self.flow_admin).action_new_version()
        new_flow = self.env["crossdept.flow"].browse(action["res_id"])
        self.assertNotEqual(new_flow, self.flow)
        chinese = as_reader(new_flow, self.it_user)
        self.assertEqual(chinese.name, "变更请求")
        self.assertEqual(chinese.step_ids.name, "技术可行性评估")
        self.assertEqual(chinese.step_ids.deliverable_ids.name, "可行性评估报告")
        english = as_reader(new_flow, self.it_manager)
        self.assertEqual(english.step_ids.name, "Technical feasibility")
        self.assertEqual(english.step_ids.deliverable_ids.name, "Feasibility assessment")
