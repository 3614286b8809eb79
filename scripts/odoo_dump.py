"""Back up and restore a CrossDept database with its filestore in Odoo's own dump
format (a zip holding dump.sql, filestore/ and manifest.json), through Odoo's own
functions, so that Odoo's database manager (/web/database/manager) restores these
files as well. Called by scripts/backup and scripts/restore."""

import argparse
import datetime
import os
import sys
from pathlib import Path


def _odoo(conf):
    import odoo  # noqa: PLC0415 (Odoo is loaded with the configuration below)
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", conf])
    # the database functions refuse to run where the database manager is hidden
    # (list_db = False in production); this is a local administrator's command
    config["list_db"] = True
    return odoo


def backup(args):
    odoo = _odoo(args.conf)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"{args.db}-{stamp}.zip"
    partial = target.with_suffix(".zip.part")
    with open(partial, "wb") as stream:
        odoo.service.db.dump_db(args.db, stream, "zip")
    os.replace(partial, target)
    print(target)
    if args.keep:
        dumps = sorted(out_dir.glob(f"{args.db}-*.zip"))
        for old in dumps[: -args.keep]:
            old.unlink()


def restore(args):
    odoo = _odoo(args.conf)
    if odoo.service.db.exp_db_exist(args.db):
        sys.exit(f"Database {args.db} exists already: restore into a new name, or drop it first.")
    odoo.service.db.restore_db(args.db, args.dump, copy=args.copy)
    print(f"restored {args.dump} into {args.db}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("backup")
    one.add_argument("-c", "--conf", required=True)
    one.add_argument("-d", "--db", required=True)
    one.add_argument("--output-dir", required=True)
    one.add_argument("--keep", type=int, default=0, help="keep the N newest dumps of the db")
    one.set_defaults(func=backup)
    two = sub.add_parser("restore")
    two.add_argument("-c", "--conf", required=True)
    two.add_argument("-d", "--db", required=True)
    two.add_argument("--copy", action="store_true", help="give the copy a new database uuid")
    two.add_argument("dump")
    two.set_defaults(func=restore)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
