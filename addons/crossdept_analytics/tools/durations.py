"""The durations every analytics screen reads (README.rst, "Durations"), written once.

* A finished step's **handling time**: the working hours on its calendar from ready
  to done, on hold left out, as the engine measured them when it ended; a step the
  engine did not measure (finished before the measure existed, or generated demo
  history) counts its clock hours from ready to done. Its time on hold (waiting
  for the requester or the customer) is reported apart.
* A done ticket's **cycle working hours**: the handling time along its critical
  path, the longest chain of its steps of the run that stands (from a step without
  predecessor to a last one), each step counted on its own calendar; unfinished
  and skipped steps count 0. Parallel branches count once (the longest), so a
  serial and a parallel flow compare. A ticket closed without steps counts its
  clock hours from creation to closing.
"""

from odoo.tools import SQL


def step_handling_time(alias):
    """The handling time of a finished step of table alias ``alias``
    (crossdept_ticket_step), in hours."""
    return SQL(
        """CASE WHEN %(a)s.date_measured IS NOT NULL THEN %(a)s.handling_hours::numeric
                ELSE EXTRACT(EPOCH FROM %(a)s.date_done - %(a)s.date_ready) / 3600.0
           END""",
        a=SQL.identifier(alias),
    )


def ticket_cycle_query(tickets):
    """(ticket_id, cycle_working_hours, measured) of the done tickets with at least
    one step of the run that stands, among those ``tickets`` (a condition on
    crossdept_ticket under alias ``t``) selects; ``measured`` is true when every
    finished step of the ticket was measured in working hours by the engine."""
    return SQL(
        """
        WITH RECURSIVE cs AS (
            SELECT s.id, s.ticket_id,
                   CASE WHEN s.state = 'done'
                        THEN COALESCE(%(handling)s, 0.0) ELSE 0.0 END::numeric AS hours,
                   s.state = 'done' AND s.date_measured IS NULL AS unmeasured
              FROM crossdept_ticket_step s
              JOIN crossdept_ticket t ON t.id = s.ticket_id
             WHERE s.active AND t.state = 'done' AND %(tickets)s
        ), path AS (
            SELECT cs.id, cs.ticket_id, cs.hours
              FROM cs
             WHERE NOT EXISTS (
                   SELECT 1
                     FROM crossdept_ticket_step_predecessor_rel r
                     JOIN cs p ON p.id = r.predecessor_id
                    WHERE r.step_id = cs.id
             )
            UNION ALL
            SELECT cs.id, cs.ticket_id, path.hours + cs.hours
              FROM path
              JOIN crossdept_ticket_step_predecessor_rel r ON r.predecessor_id = path.id
              JOIN cs ON cs.id = r.step_id
        ), longest AS (
            SELECT ticket_id, max(hours) AS hours FROM path GROUP BY ticket_id
        )
        SELECT cs.ticket_id, l.hours, NOT bool_or(cs.unmeasured)
          FROM cs
          JOIN longest l ON l.ticket_id = cs.ticket_id
         GROUP BY cs.ticket_id, l.hours
        """,
        handling=step_handling_time("s"),
        tickets=tickets,
    )
