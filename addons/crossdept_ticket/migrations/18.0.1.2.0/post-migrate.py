"""The record rules compare a ticket's departments with the user's departments given
as ids (res.users' crossdept_department_ids and crossdept_managed_department_ids)
instead of walking the departments' members and managers; the managers' and the
queue's rules moved to the same file. It is loaded with noupdate, so an upgrade
rewrites these rules explicitly."""

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
