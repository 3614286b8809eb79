from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext


class CrossdeptTicket(models.Model):
    """Knowledge base on tickets: suggested and applied articles."""

    _inherit = "crossdept.ticket"

    applied_article_ids = fields.Many2many(
        "crossdept.kb.article",
        "crossdept_ticket_kb_article_rel",
        "ticket_id",
        "article_id",
        string="Applied Articles",
        copy=False,
        check_company=True,
    )
    kb_suggestion_ids = fields.Many2many(
        "crossdept.kb.article",
        string="Suggested Articles",
        compute="_compute_kb_suggestion_ids",
        help="Published articles ranked by full-text relevance to the title and description.",
    )
    resolved_with_knowledge = fields.Boolean(
        compute="_compute_resolved_with_knowledge",
        store=True,
        precompute=True,
        help="Done with at least one knowledge article applied.",
    )

    @api.depends("state", "applied_article_ids")
    def _compute_resolved_with_knowledge(self):
        for ticket in self:
            ticket.resolved_with_knowledge = ticket.state == "done" and bool(
                ticket.applied_article_ids
            )

    @api.depends("title", "description", "applied_article_ids", "company_id")
    def _compute_kb_suggestion_ids(self):
        # one ranking query per ticket: the field is shown on the form only
        Article = self.env["crossdept.kb.article"]
        for ticket in self:
            text = " ".join(
                part for part in (ticket.title, html2plaintext(ticket.description or "")) if part
            )
            ranked = Article._suggest(
                text, ticket.company_id, exclude=ticket.applied_article_ids._origin.ids
            )
            ticket.kb_suggestion_ids = Article.browse([article_id for article_id, _rank in ranked])

    def write(self, vals):
        applied_before = (
            {ticket.id: set(ticket.applied_article_ids.ids) for ticket in self}
            if "applied_article_ids" in vals
            else None
        )
        res = super().write(vals)
        if applied_before is not None:
            self._count_applied_articles(applied_before)
        return res

    def action_apply_articles(self, articles):
        """Link knowledge articles to the tickets; each new link counts as a use."""
        unpublished = articles.filtered(lambda article: article.state != "published")
        if unpublished:
            raise UserError(
                self.env._(
                    "Only published articles can be applied; not %(articles)s.",
                    articles=", ".join(unpublished.mapped("name")),
                )
            )
        for ticket in self:
            new = articles - ticket.applied_article_ids
            if not new:
                continue
            ticket.applied_article_ids = [Command.link(article.id) for article in new]
            ticket.message_post(
                body=self.env._(
                    "Knowledge applied: %(articles)s.", articles=", ".join(new.mapped("name"))
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_create_kb_article(self):
        """Open a draft knowledge article written from this done ticket."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s is not done: write an article once its solution is known.",
                    ticket=self.display_name,
                )
            )
        # the article records the ticket it comes from: the engine writes that link
        article = (
            self.env["crossdept.kb.article"]._engine().create(self._prepare_kb_article_vals())
        ).with_env(self.env)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Knowledge Article"),
            "res_model": "crossdept.kb.article",
            "res_id": article.id,
            "view_mode": "form",
            "target": "current",
        }

    def _prepare_kb_article_vals(self):
        self.ensure_one()
        body = Markup("<h3>%s</h3>%s<h3>%s</h3><p>%s</p>") % (
            self.env._("Problem"),
            self.description or Markup("<p>%s</p>") % self.title,
            self.env._("Solution"),
            self.env._("Describe how ticket %(ticket)s was solved.", ticket=self.name),
        )
        return {
            "name": self.title,
            "body": body,
            "state": "draft",
            "type_ids": [Command.set(self.type_id.ids)],
            "tag_ids": [Command.set(self.tag_ids.ids)],
            "department_id": (self.assigned_department_id or self.department_id).id,
            "company_id": self.company_id.id,
            "source_ticket_id": self.id,
        }

    def _count_applied_articles(self, applied_before):
        """Add the new links of these tickets to their articles' usage counters, in
        one statement (an atomic increment, safe when two users apply at once)."""
        added = defaultdict(int)
        for ticket in self:
            for article_id in set(ticket.applied_article_ids.ids) - applied_before[ticket.id]:
                added[article_id] += 1
        if not added:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_kb_article AS article
                   SET usage_count = COALESCE(article.usage_count, 0) + used.count,
                       date_last_used = %(now)s
                  FROM (VALUES %(rows)s) AS used(id, count)
                 WHERE article.id = used.id
                """,
                now=fields.Datetime.now(),
                rows=SQL(", ").join(SQL("(%s, %s)", key, count) for key, count in added.items()),
            )
        )
        self.env["crossdept.kb.article"].browse(added).invalidate_recordset(
            ["usage_count", "date_last_used"]
        )
