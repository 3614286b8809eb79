"""Export every flow of a database as BPMN 2.0 files, one per flow version.

    python scripts/export_bpmn.py CONF DB OUTDIR

(the venv's python). Each file is ``<code>_v<version>_<id>.bpmn``, written by
``crossdept.flow._bpmn_export()`` as the superuser; scripts/test checks the files
with bpmn-moddle (scripts/check_bpmn.mjs). Nothing is written to the database.
"""

import re
import sys
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    conf, db, outdir = sys.argv[1:]
    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        flows = env["crossdept.flow"].with_context(active_test=False).search([])
        if not flows:
            sys.exit(f"no flow in database {db}: nothing to check")
        for flow in flows:
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{flow.code}_v{flow.version}_{flow.id}")
            (out / f"{name}.bpmn").write_bytes(flow._bpmn_export())
        cr.rollback()
    print(f"{len(flows)} flows exported to {out}")


if __name__ == "__main__":
    main()
