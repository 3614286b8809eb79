import re

from odoo import api, fields, models
from odoo.tools import SQL, html2plaintext

# Han ideographs (with extension A and compatibility ideographs), kana and hangul:
# scripts written without spaces between words
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
WORD = re.compile(r"\w+")
SEARCH_CONFIG_PARAM = "crossdept_ticket.kb_search_config"
DEFAULT_SEARCH_CONFIG = "simple"
# most words of a ticket that go into the query of its suggestions
MAX_QUERY_WORDS = 200


def segment_text(text):
    """Text ready for PostgreSQL's parser: runs of CJK characters, which have no
    spaces between words and no stemmer, are cut into overlapping bigrams
    ("打印机" -> "打印 印机"), the usual way full-text engines index Chinese
    without a dictionary; other text is left as it is."""

    def bigrams(match):
        run = match.group()
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return CJK_RUN.sub(bigrams, text or "")


def html_search_text(html):
    return segment_text(html2plaintext(html or "") if html else "")


class CrossdeptKbArticle(models.Model):
    _name = "crossdept.kb.article"
    _description = "Knowledge Article"
    _inherit = ["crossdept.engine.mixin", "mail.thread"]
    _order = "usage_count desc, id desc"
    _check_company_auto = True

    name = fields.Char("Title", required=True, tracking=True)
    body = fields.Html()
    type_ids = fields.Many2many(
        "crossdept.ticket.type",
        "crossdept_kb_article_type_rel",
        "article_id",
        "type_id",
        string="Ticket Types",
        check_company=True,
    )
    tag_ids = fields.Many2many(
        "crossdept.ticket.tag",
        "crossdept_kb_article_tag_rel",
        "article_id",
        "tag_id",
        string="Tags",
    )
    department_id = fields.Many2one("hr.department", index=True, check_company=True)
    state = fields.Selection(
        [("draft", "Draft"), ("published", "Published")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    author_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    source_ticket_id = fields.Many2one(
        "crossdept.ticket", "Created from Ticket", readonly=True, index="btree_not_null"
    )
    ticket_ids = fields.Many2many(
        "crossdept.ticket",
        "crossdept_ticket_kb_article_rel",
        "article_id",
        "ticket_id",
        string="Applied on Tickets",
        readonly=True,
    )
    usage_count = fields.Integer(
        default=0,
        readonly=True,
        copy=False,
        help="How many times the article was applied on a ticket.",
    )
    date_last_used = fields.Datetime("Last Used", readonly=True, copy=False)
    times_applied = fields.Integer(
        compute="_compute_statistics", help="Tickets on which the article is applied."
    )
    resolved_count = fields.Integer(
        "Resolved Tickets",
        compute="_compute_statistics",
        help="Done tickets on which the article is applied.",
    )
    resolution_rate = fields.Float(
        "Resolution Rate (%)",
        compute="_compute_statistics",
        aggregator="avg",
        help="Done tickets with this article among the tickets that applied it.",
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()

    def init(self):
        # The search document is a stored tsvector maintained in SQL by
        # _update_search_vector(); the ORM does not know the column.
        self.env.cr.execute(
            SQL("ALTER TABLE crossdept_kb_article ADD COLUMN IF NOT EXISTS search_vector tsvector")
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_kb_article_search_vector_idx "
                "ON crossdept_kb_article USING gin (search_vector)"
            )
        )
        self.with_context(active_test=False).search([("id", "!=", 0)])._update_search_vector()

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("ticket_ids.state")
    def _compute_statistics(self):
        # figures over every ticket of the article, also those the reader cannot open
        groups = (
            self.env["crossdept.ticket"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("applied_article_ids", "in", self.ids)],
                ["applied_article_ids", "state"],
                ["__count"],
            )
        )
        applied, resolved = {}, {}
        for article, state, count in groups:
            applied[article.id] = applied.get(article.id, 0) + count
            if state == "done":
                resolved[article.id] = resolved.get(article.id, 0) + count
        for article in self:
            article.times_applied = applied.get(article.id, 0)
            article.resolved_count = resolved.get(article.id, 0)
            article.resolution_rate = (
                100.0 * article.resolved_count / article.times_applied
                if article.times_applied
                else 0.0
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        articles = super().create(vals_list)
        articles._update_search_vector()
        return articles

    def write(self, vals):
        res = super().write(vals)
        if {"name", "body"} & set(vals):
            self._update_search_vector()
        return res

    # ------------------------------------------------------------------
    # Full-text search
    # ------------------------------------------------------------------

    @api.model
    def _search_config(self):
        """The PostgreSQL text search configuration of the knowledge base: 'simple'
        (no stemming, no stop words) unless the system parameter names another
        one that exists, e.g. 'english'."""
        name = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(SEARCH_CONFIG_PARAM, DEFAULT_SEARCH_CONFIG)
            .strip()
        )
        if name != DEFAULT_SEARCH_CONFIG:
            self.env.cr.execute(SQL("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", name))
            if not self.env.cr.rowcount:
                return DEFAULT_SEARCH_CONFIG
        return name

    def _update_search_vector(self):
        """Write the articles' search documents in one statement: the title with
        weight A, the body without its HTML with weight B."""
        if not self:
            return
        rows = [
            SQL(
                "(%s, %s, %s)",
                article.id,
                segment_text(article.name),
                html_search_text(article.body),
            )
            for article in self
        ]
        config = self._search_config()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_kb_article AS article
                   SET search_vector =
                       setweight(to_tsvector(%(config)s::regconfig, doc.title), 'A')
                       || setweight(to_tsvector(%(config)s::regconfig, doc.body), 'B')
                  FROM (VALUES %(rows)s) AS doc(id, title, body)
                 WHERE article.id = doc.id
                """,
                config=config,
                rows=SQL(", ").join(rows),
            )
        )

    @api.model
    def _search_query_text(self, text):
        """A websearch query matching any word of ``text``: a ticket's words are
        OR-ed, so that articles rank by how many of them they contain and where."""
        words = []
        seen = set()
        for word in WORD.findall(segment_text(text)):
            word = word.lower()
            if word not in seen and word != "or":
                seen.add(word)
                words.append(word)
        return " or ".join(words[:MAX_QUERY_WORDS])

    @api.model
    def _suggest(self, text, company, limit=10, exclude=None):
        """Published articles of ``company`` matching ``text``, best first, as
        [(article id, rank)]; the rank is ts_rank of the weighted search document."""
        query = self._search_query_text(text)
        if not query:
            return []
        self.flush_model(["state", "company_id", "active"])
        config = self._search_config()
        self.env.cr.execute(
            SQL(
                """
                SELECT article.id, ts_rank(article.search_vector, query.q) AS rank
                  FROM crossdept_kb_article AS article,
                       websearch_to_tsquery(%(config)s::regconfig, %(query)s) AS query(q)
                 WHERE article.state = 'published'
                   AND article.active
                   AND article.company_id = %(company)s
                   AND article.id != ALL(%(exclude)s::int[])
                   AND article.search_vector @@ query.q
              ORDER BY rank DESC, article.id
                 LIMIT %(limit)s
                """,
                config=config,
                query=query,
                company=company.id,
                exclude=list(exclude or []),
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _engine_fields(self):
        usage = self.env._("Apply on a ticket")
        return {
            **super()._engine_fields(),
            "usage_count": usage,
            "date_last_used": usage,
            "ticket_ids": usage,
            "source_ticket_id": self.env._("Create Article on a done ticket"),
        }

    def action_publish(self):
        return self.write({"state": "published"})

    def action_draft(self):
        return self.write({"state": "draft"})

    def action_apply_to_ticket(self):
        """Button of the ticket's suggestions: apply this article to the ticket
        the button was pressed on."""
        self.ensure_one()
        ticket = self.env["crossdept.ticket"].browse(self.env.context.get("crossdept_ticket_id"))
        ticket.ensure_one()
        return ticket.action_apply_articles(self)

    def action_view_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tickets"),
            "res_model": "crossdept.ticket",
            "view_mode": "list,form",
            "domain": [("applied_article_ids", "in", self.ids)],
            "context": {"active_test": False},
        }
