"""Create, update or drop the read-only login role of the reporting schema.

Run by ``scripts/reporting-role`` as a database administrator (a role that may
create roles), and by the addon's test on its test database: both run exactly
these statements. The role may connect, use the schema ``crossdept_reporting`` and
read its views, nothing else: it has no privilege on Odoo's tables (schema
public), its sessions are read-only, and the views it reads are created again at
each module update with their SELECT granted again (default privileges of the
views' owner, and the module's init re-grants to every role with USAGE).

The role reads every company's data: it is for BI administrators only.

    python tools/reporting_role.py --dsn "host=... dbname=..." NAME [--drop]
    (password: CROSSDEPT_REPORTING_PASSWORD)
"""

import argparse
import os
import re
import sys

from psycopg2 import sql

SCHEMA = "crossdept_reporting"  # report/crossdept_reporting_schema.py: REPORTING_SCHEMA
ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ReportingRoleError(Exception):
    """Bad input or a database without the reporting schema."""


def _check_name(name):
    if not ROLE_RE.match(name or ""):
        raise ReportingRoleError(
            f"Invalid role name {name!r}: lower-case letters, digits and underscores, "
            "starting with a letter or underscore, at most 63 characters."
        )


def _schema_owner(cur):
    cur.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", [SCHEMA])
    row = cur.fetchone()
    if not row:
        raise ReportingRoleError(
            f"Database has no schema {SCHEMA}: install or update crossdept_analytics first."
        )
    return row[0].strip('"')


def grant_reporting_role(cur, name, password):
    """Create the role (or set its password again) and grant it read access to the
    reporting schema only. `cur` is a psycopg2 cursor of an administrator on the
    Odoo database; the caller commits."""
    _check_name(name)
    if not password:
        raise ReportingRoleError("A password is required for the reporting role.")
    owner = _schema_owner(cur)
    if name in (owner, "postgres", "public"):
        raise ReportingRoleError(f"The reporting role cannot be {name!r}.")
    role = sql.Identifier(name)
    schema = sql.Identifier(SCHEMA)
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
    existing = cur.fetchone()
    if existing and existing[0]:
        raise ReportingRoleError(f"Role {name!r} is a superuser: choose another name.")
    verb = sql.SQL("ALTER ROLE" if existing else "CREATE ROLE")
    cur.execute(
        sql.SQL(
            "{} {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            "NOBYPASSRLS PASSWORD {}"
        ).format(verb, role, sql.Literal(password))
    )
    cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
    cur.execute("SELECT current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
    cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, role))
    cur.execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
        ).format(sql.Identifier(owner), schema, role)
    )


def revoke_reporting_role(cur, name):
    """Take the role's privileges in this database back and drop it (it must have
    none in another database). The caller commits."""
    _check_name(name)
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    if not cur.fetchone():
        raise ReportingRoleError(f"Role {name!r} does not exist.")
    role = sql.Identifier(name)
    schema = sql.Identifier(SCHEMA)
    cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA])
    if cur.fetchone():
        owner = _schema_owner(cur)
        cur.execute(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} REVOKE SELECT ON TABLES FROM {}"
            ).format(sql.Identifier(owner), schema, role)
        )
        cur.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, role))
        cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, role))
    cur.execute("SELECT current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(database, role))
    cur.execute(sql.SQL("DROP ROLE {}").format(role))


def main(argv=None):
    import psycopg2  # noqa: PLC0415 - the module's functions only need a cursor

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string (an admin)")
    parser.add_argument("name", help="the role's name")
    parser.add_argument("--drop", action="store_true", help="revoke and drop the role")
    args = parser.parse_args(argv)
    try:
        with psycopg2.connect(args.dsn) as cnx, cnx.cursor() as cur:
            if args.drop:
                revoke_reporting_role(cur, args.name)
            else:
                grant_reporting_role(
                    cur, args.name, os.environ.get("CROSSDEPT_REPORTING_PASSWORD", "")
                )
    except (ReportingRoleError, psycopg2.Error) as exc:
        print(f"reporting-role: {exc}".rstrip(), file=sys.stderr)  # pylint: disable=print-used
        return 1
    done = "dropped" if args.drop else f"may read schema {SCHEMA}"
    print(f"reporting-role: {args.name} {done}")  # pylint: disable=print-used
    return 0


if __name__ == "__main__":
    sys.exit(main())
