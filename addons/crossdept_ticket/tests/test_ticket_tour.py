from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTicketTour(HttpCase):
    def test_create_and_open_ticket_in_the_browser(self):
        self.start_tour("/odoo", "crossdept_ticket_tour", login="admin")
        ticket = self.env["crossdept.ticket"].search(
            [("title", "=", "Tour ticket: projector broken")]
        )
        self.assertEqual(ticket.state, "open")
        self.assertEqual(ticket.event_ids.mapped("event_type"), ["state", "create"])
