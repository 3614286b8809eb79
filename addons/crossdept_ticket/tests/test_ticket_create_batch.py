from odoo.tests import tagged

from .common import CrossdeptTicketCase


@tagged("post_install", "-at_install")
class TestTicketCreateBatch(CrossdeptTicketCase):
    def _vals(self, count):
        return [
            {
                "title": f"Batch ticket {index}",
                "type_id": self.ticket_type.id,
                "department_id": self.dept_it.id,
                "assigned_department_id": self.dept_it.id,
                "requester_id": self.it_user.id,
                "priority": "2",
            }
            for index in range(count)
        ]

    def test_thousand_tickets_in_one_create(self):
        # measured with the shipped rule that tells the Informed and Accountable
        # enabled (it ships inactive): the worst case an administrator can choose
        self.env.ref("crossdept_ticket.automation_ticket_created").active = True
        Ticket = self.env["crossdept.ticket"]
        Ticket.create(self._vals(1))  # warm the caches (sequence, rules, subtypes)
        self.env.flush_all()
        self.env.invalidate_all()
        # the notes of that rule are posted for the whole batch at once
        with self.assertQueryCount(__system__=QUERY_BUDGET):
            tickets = Ticket.create(self._vals(1000))
            self.env.flush_all()
        self.assertEqual(len(tickets), 1000)
        self.assertEqual(len(set(tickets.mapped("name"))), 1000)
        self.assertEqual(len(tickets.event_ids), 1000)
        self.assertEqual(tickets.mapped("accountable_user_id"), self.it_manager)
        self.env.cr.precommit.run()  # posts the notes, unless a flush already did
        notes = self.env["mail.message"].search(
            [
                ("model", "=", "crossdept.ticket"),
                ("res_id", "in", tickets.ids),
                ("partner_ids", "in", self.it_manager.partner_id.ids),
            ]
        )
        self.assertEqual(len(notes), 1000)


# 89 before the two stored computed fields of knowledge and satisfaction
# (resolved_with_knowledge, rating_last_value): both are computed before the insert,
# but base_automation looks its rules up once for each computed field of a batch
# 91 before the requester followed the milestones of their tickets (one subscription
# for the batch) and creation was checked against the fields only the engine sets;
# 103 before the tickets' participants were kept for the record rules (one insert
# for the batch)
QUERY_BUDGET = 104
