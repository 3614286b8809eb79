from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestKbTour(HttpCase):
    def test_apply_suggested_article_in_the_browser(self):
        article = self.env["crossdept.kb.article"].create(
            {
                "name": "Tour: reset the VPN token",
                "body": "<p>Open the token portal and reset the VPN token.</p>",
                "state": "published",
            }
        )
        ticket = self.env["crossdept.ticket"].create(
            {"title": "VPN token expired", "description": "<p>Cannot log in to the VPN.</p>"}
        )
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_ticket_action/{ticket.id}",
            "crossdept_kb_tour",
            login="admin",
        )
        self.assertEqual(ticket.applied_article_ids, article)
        self.assertEqual(article.usage_count, 1)
