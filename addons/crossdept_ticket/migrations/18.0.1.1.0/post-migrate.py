"""The record rules of tickets and of what follows them (RACI lines, steps, events,
decisions, deliverables) read the participants table: their file is loaded with
noupdate, so an upgrade rewrites these rules explicitly."""

from odoo import SUPERUSER_ID, api
from odoo.tools import convert_file


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    # "init" updates records of a noupdate file, as on a first installation
    convert_file(
        env,
        "crossdept_ticket",
        "security/crossdept_ticket_visibility_rules.xml",
        {},
        mode="init",
        noupdate=True,
        kind="data",
    )
