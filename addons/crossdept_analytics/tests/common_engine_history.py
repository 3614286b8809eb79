from datetime import datetime

from freezegun import freeze_time

from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

# The test calendar works Mon-Fri 8-12 and 13-17 UTC; every person's time zone is
# UTC. 2021-03-01 is a Monday. Nothing else in the database is dated 2021.
MON, TUE, WED, THU, MON2, TUE2 = 1, 2, 3, 4, 8, 9


def at(day, hour, minute=0):
    return datetime(2021, 3, day, hour, minute)


class CrossdeptEngineHistoryCase(CrossdeptFlowCase):
    """Four tickets walked through one flow by the engine itself, as the people who
    act, under a frozen clock; the analytics tests compute what each view must say
    by hand from the timeline below.

    Flow "Honest": Prepare (task, value-adding) -> Check (approval by approver 1; a
    refusal returns to Prepare) -> Sign (approval by approver 2) -> Deliver (task,
    value-adding). Every step: IT, the test calendar, an 8 working-hour SLA.

    * T1, straight with a hold (Mon 1 - Tue 2):
      08:00 created and started (Prepare ready); 09:00 Prepare started; 10:00 the
      ticket waits for the customer; 14:00 it works again; 15:00 Prepare finished;
      Tue 09:00 Check approved; 10:00 Sign approved; Deliver 10:00-11:30. Done Tue 11:30.
    * T2, refusal, return, transfer, escalation (Wed 3 - Thu 4):
      08:00 created and started; Prepare 08:00-10:00; 11:00 Check refused, back to
      Prepare (ready again 11:00); 11:30 Prepare transferred to the Finance user;
      12:00 the IT manager transfers the ticket to Finance, 12:30 the Finance
      manager sends it back to IT (a ping-pong); the Finance user does Prepare
      13:00-14:00; 15:00 Check approved (Sign ready); Thu 14:00 the
      escalation cron warns on Sign (due at 80% of ready Wed 15:00 -> deadline
      Thu 15:00); 16:00 Sign approved, late; Deliver 16:00-17:00. Done Thu 17:00.
    * T3, reopened (Mon 8): created and started 08:00; Prepare 08:00-09:00; Check
      approved 10:00; Sign approved 11:00; Deliver 11:00-12:00, done 12:00;
      13:00 reopened by the requester (Deliver ready again), Deliver 13:00-14:00,
      done again 14:00.
    * T4, cancelled and run again (Tue 9): created and started 08:00; Prepare
      08:00-09:00 (Check ready 09:00); 10:00 cancelled by the requester (Check
      cancelled); 10:30 back to draft (both steps archived); 11:00 flow started
      again: Prepare 11:00-12:00, Check approved 14:00, Sign approved 15:00, Deliver
      15:00-16:00. Done 16:00.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only our escalation rule, and no step already in the database escalates
        cls.env["crossdept.escalation.rule"].search([]).active = False
        cls.env["crossdept.escalation.rule"].create(
            {"name": "Honest (test)", "warn_percent": 80, "level2_delay_hours": 4}
        )
        cls.env["crossdept.ticket.step"].search([])._engine().date_escalation_due = False
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Prepare", "value_adding": True},
                {
                    "name": "Check",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                },
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Check"],
                    "approvers": cls.approver_2,
                },
                {"name": "Deliver", "preds": ["Sign"], "value_adding": True},
            ],
            activate=False,
            name="Honest",
        )
        cls.flow_steps["Check"].write(
            {"reject_action": "return", "reject_return_step_id": cls.flow_steps["Prepare"].id}
        )
        cls.flow.action_activate()
        cls.t1 = cls._walk_t1()
        cls.t2 = cls._walk_t2()
        cls.t3 = cls._walk_t3()
        cls.t4 = cls._walk_t4()
        cls.tickets = cls.t1 | cls.t2 | cls.t3 | cls.t4
        cls.env["crossdept.analytics.ticket"]._cron_refresh()

    # ------------------------------------------------------------------
    # The people's moves, each at its time
    # ------------------------------------------------------------------

    @classmethod
    def _open(cls, when):
        """The requester creates the ticket and starts its flow."""
        with freeze_time(when):
            ticket = (
                cls.env["crossdept.ticket"]
                .with_user(cls.it_user)
                .create(
                    {
                        "title": f"Honest {when:%d %H:%M}",
                        "type_id": cls.ticket_type.id,
                        "department_id": cls.dept_it.id,
                        "assigned_department_id": cls.dept_it.id,
                        "requester_id": cls.it_user.id,
                        "flow_id": cls.flow.id,
                    }
                )
            )
            # the ORM stamps creation with the transaction's time, not the clock's
            ticket.flush_recordset()
            cls.env.cr.execute(
                SQL("UPDATE crossdept_ticket SET create_date = %s WHERE id = %s", when, ticket.id)
            )
            ticket.invalidate_recordset(["create_date"])
            ticket.action_start_flow()
        return ticket

    @classmethod
    def _approve(cls, ticket, name, when, user):
        with freeze_time(when):
            cls._step(ticket, name).with_user(user).action_approve()

    @classmethod
    def _walk_t1(cls):
        ticket = cls._open(at(MON, 8))
        prepare = cls._step(ticket, "Prepare").with_user(cls.it_user)
        with freeze_time(at(MON, 9)):
            prepare.action_start()
        with freeze_time(at(MON, 10)):
            ticket.with_user(cls.it_user).action_wait()
        with freeze_time(at(MON, 14)):
            ticket.with_user(cls.it_user).action_start()
        with freeze_time(at(MON, 15)):
            prepare.action_finish()
        cls._approve(ticket, "Check", at(TUE, 9), cls.approver_1)
        cls._approve(ticket, "Sign", at(TUE, 10), cls.approver_2)
        cls._work(ticket, "Deliver", at(TUE, 10), at(TUE, 11, 30))
        return ticket

    @classmethod
    def _walk_t2(cls):
        ticket = cls._open(at(WED, 8))
        cls._work(ticket, "Prepare", at(WED, 8), at(WED, 10))
        with freeze_time(at(WED, 11)):
            cls._step(ticket, "Check").with_user(cls.approver_1).action_reject("Figures missing")
        with freeze_time(at(WED, 11, 30)):
            cls.env["crossdept.ticket.step.transfer"].with_user(cls.it_user).create(
                {
                    "step_ids": cls._step(ticket, "Prepare").ids,
                    "user_id": cls.finance_user.id,
                    "reason": "Finance has the figures",
                }
            ).action_apply()
        for when, manager, department in (
            (at(WED, 12), cls.it_manager, cls.dept_finance),
            (at(WED, 12, 30), cls.finance_manager, cls.dept_it),
        ):
            with freeze_time(when):
                cls.env["crossdept.ticket.transfer"].with_user(manager).create(
                    {
                        "ticket_ids": ticket.ids,
                        "department_id": department.id,
                        "reason": "Whose is it?",
                    }
                ).action_transfer()
        cls._work(ticket, "Prepare", at(WED, 13), at(WED, 14), user=cls.finance_user)
        cls._approve(ticket, "Check", at(WED, 15), cls.approver_1)
        with freeze_time(at(THU, 14)):
            # the scheduled action, as the system runs it
            cls.env["crossdept.ticket.step"]._cron_escalate()
        cls._approve(ticket, "Sign", at(THU, 16), cls.approver_2)
        cls._work(ticket, "Deliver", at(THU, 16), at(THU, 17))
        return ticket

    @classmethod
    def _walk_t3(cls):
        ticket = cls._open(at(MON2, 8))
        cls._work(ticket, "Prepare", at(MON2, 8), at(MON2, 9))
        cls._approve(ticket, "Check", at(MON2, 10), cls.approver_1)
        cls._approve(ticket, "Sign", at(MON2, 11), cls.approver_2)
        cls._work(ticket, "Deliver", at(MON2, 11), at(MON2, 12))
        with freeze_time(at(MON2, 13)):
            ticket.with_user(cls.it_user).action_reopen()
        cls._work(ticket, "Deliver", at(MON2, 13), at(MON2, 14))
        return ticket

    @classmethod
    def _walk_t4(cls):
        ticket = cls._open(at(TUE2, 8))
        cls._work(ticket, "Prepare", at(TUE2, 8), at(TUE2, 9))
        requester = ticket.with_user(cls.it_user)
        with freeze_time(at(TUE2, 10)):
            requester.action_cancel()
        with freeze_time(at(TUE2, 10, 30)):
            requester.action_draft()
        with freeze_time(at(TUE2, 11)):
            requester.action_start_flow()
        cls._work(ticket, "Prepare", at(TUE2, 11), at(TUE2, 12))
        cls._approve(ticket, "Check", at(TUE2, 14), cls.approver_1)
        cls._approve(ticket, "Sign", at(TUE2, 15), cls.approver_2)
        cls._work(ticket, "Deliver", at(TUE2, 15), at(TUE2, 16))
        return ticket

    # ------------------------------------------------------------------

    @classmethod
    def _all_steps(cls, ticket, name):
        """The ticket's step instances of that name, archived ones too."""
        return (
            cls.env["crossdept.ticket.step"]
            .with_context(active_test=False)
            .search([("ticket_id", "=", ticket.id), ("name", "=", name)], order="id")
        )
