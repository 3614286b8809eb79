from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CrossdeptTicketCase
from .refusal import acl_refusal, rule_refusal


@tagged("post_install", "-at_install")
class TestKbArticle(CrossdeptTicketCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Article = cls.env["crossdept.kb.article"]
        # the suggestions are ranked among this test's articles only (not the demo's)
        Article.search([("state", "=", "published")]).write({"state": "draft"})
        cls.best = Article.create(
            {
                "name": "VPN connection drops",
                "body": "<p>Renew the <b>VPN</b> client certificate when the connection drops.</p>",
                "state": "published",
            }
        )
        cls.middle = Article.create(
            {
                "name": "Network client setup",
                "body": "<p>Install the VPN client before you connect to the office network.</p>",
                "state": "published",
            }
        )
        cls.weak = Article.create(
            {
                "name": "Printer queue",
                "body": "<p>Printers in the office print badges.</p>",
                "state": "published",
            }
        )
        cls.unrelated = Article.create(
            {
                "name": "Expense report policy",
                "body": "<p>Submit receipts within thirty days.</p>",
                "state": "published",
            }
        )
        cls.draft = Article.create(
            {"name": "VPN connection drops every hour", "body": "<p>VPN client office</p>"}
        )
        cls.vpn_ticket = cls._make_ticket(
            title="VPN connection drops every hour",
            description="<p>The VPN client loses the connection to the office network.</p>",
        )

    def _done(self, ticket):
        ticket.action_open()
        ticket.action_start()
        ticket.action_done()

    # ------------------------------------------------------------------
    # Suggestions
    # ------------------------------------------------------------------

    def test_suggestions_ranked_by_relevance(self):
        suggestions = self.vpn_ticket.kb_suggestion_ids
        self.assertEqual(suggestions.ids, (self.best | self.middle | self.weak).ids)
        ranks = dict(
            self.env["crossdept.kb.article"]._suggest(
                "VPN connection drops every hour The VPN client loses the connection to "
                "the office network.",
                self.company,
            )
        )
        self.assertGreater(ranks[self.best.id], ranks[self.middle.id])
        self.assertGreater(ranks[self.middle.id], ranks[self.weak.id])
        self.assertNotIn(self.unrelated.id, ranks, "an unrelated article is not suggested")
        self.assertNotIn(self.draft.id, ranks, "a draft article is not suggested")

    def test_title_weighs_more_than_body(self):
        Article = self.env["crossdept.kb.article"]
        in_title = Article.create(
            {"name": "Toner", "body": "<p>Replace it.</p>", "state": "published"}
        )
        in_body = Article.create(
            {"name": "Cartridges", "body": "<p>Replace the toner.</p>", "state": "published"}
        )
        ticket = self._make_ticket(title="Toner empty")
        self.assertEqual(ticket.kb_suggestion_ids.ids, [in_title.id, in_body.id])

    def test_body_is_indexed_without_html(self):
        article = self.env["crossdept.kb.article"].create(
            {"name": "Badge", "body": '<p class="strong">Lost badge</p>', "state": "published"}
        )
        self.assertFalse(self._make_ticket(title="strong class").kb_suggestion_ids & article)
        self.assertTrue(self._make_ticket(title="lost").kb_suggestion_ids & article)
        article.body = "<p>Forgotten card</p>"
        self.assertFalse(self._make_ticket(title="lost").kb_suggestion_ids & article)
        self.assertTrue(self._make_ticket(title="forgotten").kb_suggestion_ids & article)

    def test_chinese_text_matches_by_bigrams(self):
        Article = self.env["crossdept.kb.article"]
        printer = Article.create(
            {
                "name": "打印机连接故障",
                "body": "<p>重新安装打印机驱动程序。</p>",
                "state": "published",
            }
        )
        network = Article.create(
            {"name": "网络设置", "body": "<p>检查网络连接。</p>", "state": "published"}
        )
        expense = Article.create(
            {"name": "报销流程说明", "body": "<p>提交发票。</p>", "state": "published"}
        )
        ticket = self._make_ticket(title="打印机无法连接", description="<p>打印机驱动报错</p>")
        suggestions = ticket.kb_suggestion_ids
        self.assertEqual(suggestions[:1], printer)
        self.assertIn(network, suggestions, "shares the word 连接")
        self.assertNotIn(expense, suggestions)

    def test_other_company_and_applied_articles_are_not_suggested(self):
        other_company = self.env["res.company"].create({"name": "Other (test)"})
        foreign = self.env["crossdept.kb.article"].create(
            {
                "name": "VPN connection drops",
                "state": "published",
                "company_id": other_company.id,
            }
        )
        self.assertNotIn(foreign, self.vpn_ticket.kb_suggestion_ids)
        self.vpn_ticket.action_apply_articles(self.best)
        self.assertEqual(self.vpn_ticket.kb_suggestion_ids.ids, (self.middle | self.weak).ids)

    # ------------------------------------------------------------------
    # Apply and statistics
    # ------------------------------------------------------------------

    def test_apply_from_suggestion_button(self):
        ticket = self.vpn_ticket.with_user(self.it_user)
        suggestion = ticket.kb_suggestion_ids[:1]
        self.assertEqual(suggestion, self.best)
        suggestion.with_context(crossdept_ticket_id=ticket.id).action_apply_to_ticket()
        self.assertEqual(self.vpn_ticket.applied_article_ids, self.best)
        self.assertEqual(self.best.usage_count, 1)
        self.assertTrue(self.best.date_last_used)
        self.assertIn("VPN connection drops", self.vpn_ticket.message_ids[0].body)

    def test_apply_statistics(self):
        tickets = [self._make_ticket(title=f"VPN {index}") for index in range(3)]
        for ticket in tickets:
            ticket.action_apply_articles(self.best)
        tickets[0].action_apply_articles(self.best | self.middle)  # best already applied
        self._done(tickets[0])
        self._done(tickets[1])
        tickets[2].action_cancel()
        self.assertEqual(self.best.usage_count, 3)
        self.assertEqual(self.best.times_applied, 3)
        self.assertEqual(self.best.resolved_count, 2)
        self.assertAlmostEqual(self.best.resolution_rate, 200 / 3)
        self.assertEqual(self.middle.usage_count, 1)
        self.assertEqual(self.middle.resolution_rate, 100.0)
        self.assertEqual(self.weak.times_applied, 0)
        self.assertEqual(self.weak.resolution_rate, 0.0)
        self.assertFalse(self.weak.date_last_used)
        self.assertEqual(
            [ticket.resolved_with_knowledge for ticket in tickets], [True, True, False]
        )
        tickets[1].action_reopen()
        self.assertFalse(tickets[1].resolved_with_knowledge)
        self.assertEqual(self.best.resolved_count, 1)
        self.assertAlmostEqual(self.best.resolution_rate, 100 / 3)

    def test_done_without_article_is_not_resolved_with_knowledge(self):
        ticket = self._make_ticket(title="Nothing applied")
        self._done(ticket)
        self.assertFalse(ticket.resolved_with_knowledge)

    def test_draft_article_cannot_be_applied(self):
        with self.assertRaisesRegex(UserError, "Only published articles"):
            self.vpn_ticket.action_apply_articles(self.draft)
        self.assertFalse(self.vpn_ticket.applied_article_ids)
        self.assertEqual(self.draft.usage_count, 0)

    # ------------------------------------------------------------------
    # Create from a ticket
    # ------------------------------------------------------------------

    def test_create_article_from_done_ticket(self):
        tag = self.env["crossdept.ticket.tag"].create({"name": "VPN (test)"})
        self.vpn_ticket.tag_ids = tag
        with self.assertRaisesRegex(UserError, "is not done"):
            self.vpn_ticket.with_user(self.it_manager).action_create_kb_article()
        self._done(self.vpn_ticket)
        action = self.vpn_ticket.with_user(self.it_manager).action_create_kb_article()
        article = self.env["crossdept.kb.article"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crossdept.kb.article")
        self.assertEqual(article.state, "draft")
        self.assertEqual(article.name, "VPN connection drops every hour")
        self.assertIn("loses the connection", article.body)
        self.assertIn(self.vpn_ticket.name, article.body)
        self.assertEqual(article.type_ids, self.ticket_type)
        self.assertEqual(article.tag_ids, tag)
        self.assertEqual(article.department_id, self.dept_it)
        self.assertEqual(article.source_ticket_id, self.vpn_ticket)
        self.assertEqual(article.author_id, self.it_manager)
        self.assertNotIn(article, self._make_ticket(title="VPN connection").kb_suggestion_ids)
        article.action_publish()
        self.assertIn(article, self._make_ticket(title="VPN connection").kb_suggestion_ids)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_user_reads_published_articles_only(self):
        Article = self.env["crossdept.kb.article"].with_user(self.it_user)
        visible = Article.search([("id", "in", (self.best | self.draft).ids)])
        self.assertEqual(visible, self.best)
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.kb.article")):
            self.draft.with_user(self.it_user).read(["name"])
        with self.assertRaisesRegex(AccessError, acl_refusal("write", "crossdept.kb.article")):
            self.best.with_user(self.it_user).write({"name": "Changed"})
        with self.assertRaisesRegex(AccessError, acl_refusal("create", "crossdept.kb.article")):
            Article.create({"name": "Mine"})

    def test_manager_writes_and_admin_deletes(self):
        article = (
            self.env["crossdept.kb.article"]
            .with_user(self.it_manager)
            .create({"name": "Manager article"})
        )
        article.write({"state": "published", "body": "<p>Reboot</p>"})
        self.draft.with_user(self.it_manager).write({"name": "Edited draft"})
        with self.assertRaisesRegex(AccessError, acl_refusal("unlink", "crossdept.kb.article")):
            article.unlink()
        article.with_user(self.env.ref("base.user_admin")).unlink()
        self.assertFalse(article.exists())

    def test_other_company_articles_are_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other (test)"})
        foreign = self.env["crossdept.kb.article"].create(
            {"name": "Foreign", "state": "published", "company_id": other_company.id}
        )
        Article = self.env["crossdept.kb.article"].with_user(self.it_manager)
        self.assertFalse(Article.search([("id", "=", foreign.id)]))
