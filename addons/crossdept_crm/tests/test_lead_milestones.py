from odoo.tests import tagged

from .common import CrossdeptCrmCase


@tagged("post_install", "-at_install")
class TestLeadMilestones(CrossdeptCrmCase):
    def _lead_notes(self, lead):
        return self.env["mail.message"].search(
            [
                ("model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("body", "ilike", "crossdept.ticket"),
            ],
            order="id",
        )

    def test_creation_is_logged_on_the_lead(self):
        ticket = self._make_ticket(partner_id=self.contact_a.id, lead_id=self.lead.id)
        notes = self._lead_notes(self.lead)
        self.assertEqual(len(notes), 1)
        self.assertIn(f"{ticket.display_name}</a> was created.", notes.body)
        self.assertRegex(notes.body, rf"data-oe-id=[\"']{ticket.id}[\"']")
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(notes.author_id, self.env.user.partner_id)

    def test_batch_creates_one_note_per_lead(self):
        other_lead = self.env["crm.lead"].create({"name": "Second lead"})
        tickets = self.env["crossdept.ticket"].create(
            [
                {"title": "One", "lead_id": self.lead.id},
                {"title": "Two", "lead_id": self.lead.id},
                {"title": "Three", "lead_id": other_lead.id},
                {"title": "No lead"},
            ]
        )
        notes = self._lead_notes(self.lead)
        self.assertEqual(len(notes), 1)
        for ticket in tickets[:2]:
            self.assertIn(ticket.display_name, notes.body)
        self.assertIn(tickets[2].display_name, self._lead_notes(other_lead).body)

    def test_state_milestones(self):
        ticket = self._make_ticket(lead_id=self.lead.id)
        ticket.action_open()  # not a milestone
        self.assertEqual(len(self._lead_notes(self.lead)), 1)
        ticket.action_start()
        ticket.action_wait()  # not a milestone
        ticket.action_start()
        ticket.action_done()
        bodies = self._lead_notes(self.lead).mapped("body")
        self.assertEqual(len(bodies), 4)
        self.assertIn("is now In Progress.", bodies[1])
        self.assertIn("is now In Progress.", bodies[2])
        self.assertIn("is now Done.", bodies[3])
        cancelled = self._make_ticket(lead_id=self.lead.id)
        cancelled.action_cancel()
        self.assertIn(
            f"{cancelled.display_name}</a> is now Cancelled.",
            self._lead_notes(self.lead)[-1].body,
        )

    def test_linking_later_is_logged(self):
        ticket = self._make_ticket()
        ticket.lead_id = self.lead
        self.assertIn("was linked to this lead.", self._lead_notes(self.lead).body)

    def test_handler_without_crm_rights_moves_the_ticket(self):
        ticket = self._make_ticket(lead_id=self.lead.id)
        ticket.with_user(self.it_user).action_open()
        ticket.with_user(self.it_user).action_start()
        note = self._lead_notes(self.lead)[-1]
        self.assertIn("is now In Progress.", note.body)
        self.assertEqual(note.author_id, self.it_user.partner_id)

    def test_milestones_are_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["crossdept_ticket", "crossdept_crm"], ["zh_CN"], overwrite=True
        )
        self.it_user.lang = "zh_CN"
        ticket = self._make_ticket(lead_id=self.lead.id)
        # as in a request of this user: the context carries their language
        ticket = ticket.with_user(self.it_user).with_context(lang=self.it_user.lang)
        ticket.action_open()
        ticket.action_start()
        body = self._lead_notes(self.lead)[-1].body
        self.assertIn("工单", body)
        self.assertIn("处理中", body)
