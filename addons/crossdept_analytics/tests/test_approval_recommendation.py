from lxml import etree

from odoo.exceptions import AccessError

from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal

from .common_process import CrossdeptProcessCase


class TestApprovalRecommendation(CrossdeptProcessCase):
    """Head -> Legal -> Finance -> Board, all approvals, over 14 tickets: the Head
    rejects 2, Legal 1 of 12, Finance 1 of 11; Board approves the 10 that Finance
    approved, decided each time by the same person as Finance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "Head", "kind": "approval", "approvers": cls.approver_1},
                {
                    "name": "Legal",
                    "kind": "approval",
                    "preds": ["Head"],
                    "approvers": cls.approver_2,
                    "department_id": cls.dept_legal.id,
                },
                {
                    "name": "Finance",
                    "kind": "approval",
                    "preds": ["Legal"],
                    "approvers": cls.approver_3,
                    "department_id": cls.dept_finance.id,
                },
                {
                    "name": "Board",
                    "kind": "approval",
                    "preds": ["Finance"],
                    "approvers": cls.approver_3,
                    "department_id": cls.dept_board.id,
                },
            ]
        )
        head = ("Head", 1, 1, "approve", cls.approver_1)
        legal = ("Legal", 1, 3, "approve", cls.approver_2)
        finance = ("Finance", 1, 2, "approve", cls.approver_3)
        board = ("Board", 0, 1, "approve", cls.approver_3)
        histories = [cls._serial([("Head", 1, 1, "reject", cls.approver_1)])] * 2
        histories += [cls._serial([head, ("Legal", 1, 3, "reject", cls.approver_2)])]
        histories += [cls._serial([head, legal, ("Finance", 1, 2, "reject", cls.approver_3)])]
        histories += [cls._serial([head, legal, finance, board])] * 10
        cls.tickets = cls._history(cls.flow, histories)

    def _detect(self):
        return self.env["crossdept.approval.recommendation"]._detect(self.flow)

    def test_history_is_as_built(self):
        self.assertEqual(len(self.tickets), 14)
        self.assertEqual(self.tickets.mapped("state").count("cancelled"), 4)
        board = self.tickets.step_ids.filtered(lambda s: s.name == "Board" and s.state == "done")
        self.assertEqual(len(board), 10)
        self.assertEqual(board.decision_ids.user_id, self.approver_3)

    def test_overlapping_levels_are_merged_and_independent_ones_parallelised(self):
        recs = self._detect()
        found = {(rec.kind, tuple(rec.step_ids.mapped("name"))): rec for rec in recs}
        self.assertEqual(
            set(found), {("merge", ("Finance", "Board")), ("parallelise", ("Legal", "Finance"))}
        )
        merge = found["merge", ("Finance", "Board")]
        self.assertEqual(merge.ticket_count, 10)
        self.assertAlmostEqual(merge.saving_hours, 1.0)
        self.assertIn("same person decided both levels on 10 of 10 tickets", merge.evidence)
        self.assertIn(
            "Board approved every one of the 10 tickets that Finance approved", merge.evidence
        )
        self.assertIn("Finance rejects 9.1% of 11 tickets", merge.evidence)
        parallel = found["parallelise", ("Legal", "Finance")]
        self.assertEqual(parallel.ticket_count, 11)
        # medians: Legal 4h, Finance 3h; the shorter one is saved
        self.assertAlmostEqual(parallel.saving_hours, 3.0)
        self.assertIn("Legal rejects only 8.3% of 12 tickets", parallel.evidence)

    def test_a_level_that_rejects_often_is_not_parallelised(self):
        # the Head rejects 2 of 14 (14.3%): reviewing in parallel would waste work
        kinds = {tuple(rec.step_ids.mapped("name")) for rec in self._detect()}
        self.assertNotIn(("Head", "Legal"), kinds)

    def test_fewer_tickets_than_the_threshold_find_nothing(self):
        self.env["ir.config_parameter"].set_param("crossdept_analytics.approval_min_tickets", 11)
        recs = self._detect()
        self.assertEqual(recs.mapped("kind"), ["parallelise"], "Finance/Board share only 10")

    def test_detection_replaces_new_recommendations_but_keeps_decided_ones(self):
        first = self._detect()
        merge = first.filtered(lambda rec: rec.kind == "merge")
        merge.action_dismiss()
        second = self._detect()
        self.assertEqual(first.exists(), merge, "new ones are replaced, the dismissed one stays")
        self.assertEqual(len(second), 2)
        all_recs = self.env["crossdept.approval.recommendation"].search(
            [("flow_id", "=", self.flow.id)]
        )
        self.assertEqual(len(all_recs), 3, "the dismissed one stays")

    def test_a_level_that_never_rejects_can_be_dropped(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Check", "kind": "approval", "approvers": self.approver_1},
                {"name": "Ship", "preds": ["Check"]},
            ]
        )
        self._history(
            flow,
            [
                self._serial(
                    [("Check", 2, 3, "approve", self.approver_1), ("Ship", 0, 1, "done", [])]
                )
                for _i in range(12)
            ],
        )
        recs = self.env["crossdept.approval.recommendation"]._detect(flow)
        self.assertEqual(recs.kind, "drop_under_amount")
        self.assertEqual(recs.ticket_count, 12)
        self.assertAlmostEqual(recs.saving_hours, 5.0)
        self.assertIn("Check approved all 12 tickets", recs.evidence)

    def test_cron_covers_active_flows(self):
        self.env["crossdept.approval.recommendation"]._cron_detect()
        recs = self.env["crossdept.approval.recommendation"].search(
            [("flow_id", "=", self.flow.id)]
        )
        self.assertEqual(len(recs), 2)

    def test_two_levels_of_one_department_are_merged(self):
        flow, _steps = self._make_flow(
            [
                {
                    "name": "Manager",
                    "kind": "approval",
                    "approvers": self.approver_1,
                    "department_id": self.dept_finance.id,
                },
                {
                    "name": "Controller",
                    "kind": "approval",
                    "preds": ["Manager"],
                    "approvers": self.approver_2,
                    "department_id": self.dept_finance.id,
                },
            ]
        )
        manager = ("Manager", 1, 1, "approve", self.approver_1)
        self._history(
            flow,
            [self._serial([manager, ("Controller", 1, 1, "approve", self.approver_2)])] * 9
            + [self._serial([manager, ("Controller", 1, 1, "reject", self.approver_2)])] * 3,
        )
        recs = self.env["crossdept.approval.recommendation"]._detect(flow)
        self.assertEqual(recs.kind, "merge")
        self.assertEqual(recs.ticket_count, 12)
        self.assertIn("both levels belong to Finance (test)", recs.evidence)
        self.assertNotIn("same person", recs.evidence)
        self.assertIn("Controller rejects 25.0% of 12 tickets", recs.evidence)

    def test_users_read_recommendations_but_managers_decide(self):
        rec = self._detect()[:1]
        self.assertTrue(rec.with_user(self.it_user).read(["evidence"]))
        with self.assertRaisesRegex(
            AccessError, acl_refusal("write", "crossdept.approval.recommendation")
        ):
            rec.with_user(self.it_user).action_dismiss()
        rec.with_user(self.it_manager).action_dismiss()
        self.assertEqual(rec.state, "dismissed")

    def test_evidence_is_written_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "in", ("crossdept_ticket", "crossdept_analytics"))]
        )._update_translations(["zh_CN"])
        merge = self._detect().filtered(lambda rec: rec.kind == "merge")
        # what is stored is figures, not sentences
        self.assertEqual(merge.evidence_data["count"], 10)
        self.assertEqual(merge.evidence_data["reasons"], ["same_person", "always_followed"])
        english = merge.with_user(self.it_user).with_context(lang="en_US").evidence
        chinese = merge.with_user(self.it_user).with_context(lang="zh_CN").evidence
        self.assertIn("Board repeats Finance", english)
        self.assertIn("adds a median 1.0 h", english)
        self.assertIn("Board 重复了 Finance", chinese)
        self.assertIn("1.0 小时", chinese)
        self.assertNotIn("repeats", chinese)
        self.assertEqual(merge.with_context(lang="zh_CN").display_name, "合并: Finance + Board")

    def test_the_list_shows_whole_flow_names(self):
        Recommendation = self.env["crossdept.approval.recommendation"].with_user(self.it_manager)
        arch = Recommendation.get_views([(False, "list")])["views"]["list"]["arch"]
        flow = etree.fromstring(arch).find(".//field[@name='flow_id']")
        self.assertIn("text-wrap", flow.get("class", "").split(), "wrapped, not cut off")
