# shellcheck shell=bash
# Shared set-up for scripts/run and scripts/test. Every step is safe to repeat.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
PYTHON="${PYTHON:-python3}"
mkdir -p "$LOCAL"

say() { printf '\033[1m[crossdept]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[crossdept] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    if [ ! -f "$LOCAL/.apt-updated" ]; then
        as_root apt-get update -qq >/dev/null && touch "$LOCAL/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

odoo_version_ok() {
    "$PYTHON" - <<'PY' 2>/dev/null
import sys
import odoo.release
sys.exit(0 if odoo.release.version_info[0] == 18 else 1)
PY
}

# Install Odoo 18 from the source tree or archive named by ODOO_SRC, the way
# Odoo's documentation installs from source (requirements, then pip install -e).
install_odoo_from_src() {
    local src="$1" tree
    if [ -f "$src" ]; then
        local dest="${XDG_DATA_HOME:-$HOME/.local/share}/crossdept/odoo-src"
        say "Unpacking $src into $dest"
        rm -rf "$dest" && mkdir -p "$dest"
        case "$src" in
            *.zip) "$PYTHON" -m zipfile -e "$src" "$dest" ;;
            *) tar -xf "$src" -C "$dest" ;;
        esac
        src="$dest"
    fi
    [ -d "$src" ] || die "ODOO_SRC=$src is neither a directory nor an archive."
    tree="$(find "$src" -maxdepth 3 -name release.py -path '*/odoo/release.py' | head -n 1)"
    [ -n "$tree" ] || die "ODOO_SRC=$src holds no Odoo source (no odoo/release.py found)."
    tree="$(dirname "$(dirname "$tree")")"
    say "Installing Odoo from $tree"
    apt_install libldap2-dev libsasl2-dev libpq-dev || say "Could not install libldap2-dev/libsasl2-dev/libpq-dev; continuing"
    local constraint="$LOCAL/pip-constraint.txt"
    echo 'setuptools<70' > "$constraint"   # cbor2 5.4 does not build with newer setuptools
    PIP_CONSTRAINT="$constraint" "$PYTHON" -m pip install -q -r "$tree/requirements.txt"
    # compat mode: a plain editable install is shadowed by the odoo/addons namespace of OCA wheels
    "$PYTHON" -m pip install -q -e "$tree" --config-settings editable_mode=compat
}

ensure_odoo() {
    if odoo_version_ok; then return 0; fi
    if [ -n "${ODOO_SRC:-}" ]; then
        install_odoo_from_src "$ODOO_SRC"
        odoo_version_ok || die "Installing Odoo from ODOO_SRC=$ODOO_SRC did not give an importable Odoo 18."
        return 0
    fi
    die "Odoo 18 is not installed in $("$PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$PYTHON").
Set ODOO_SRC to an Odoo 18.0 source tree or archive (.tar.gz or .zip of odoo 18.0) and run again, e.g.
    ODOO_SRC=\$HOME/src/odoo-18.0 $0"
}

# Addons path: Odoo's own addons (source tree or packaged layout) plus ours.
odoo_addons_path() {
    "$PYTHON" - "$ROOT" <<'PY'
import os, sys
import odoo
pkg = os.path.dirname(odoo.__file__)
paths = [os.path.join(pkg, "addons")]
tree_addons = os.path.join(os.path.dirname(pkg), "addons")
if os.path.isfile(os.path.join(tree_addons, "web", "__manifest__.py")):
    paths.append(tree_addons)
paths.append(os.path.join(sys.argv[1], "addons"))
print(",".join(paths))
PY
}

ensure_python_deps() {
    local stamp="$LOCAL/.requirements.sha"
    local sum
    sum="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "Installing Python requirements"
        "$PYTHON" -m pip install -q -r "$ROOT/requirements.txt"
        echo "$sum" > "$stamp"
    fi
}

our_addons() {
    local a list=()
    for a in "$ROOT"/addons/*/__manifest__.py; do
        list+=("$(basename "$(dirname "$a")")")
    done
    (IFS=,; echo "${list[*]}")
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL: the usual PG* variables name an existing server; otherwise a private
# cluster under .local/pg runs as the postgres user on 127.0.0.1 and a free port.
ensure_postgres() {
    if [ -n "${PGHOST:-}" ]; then
        DB_HOST="$PGHOST"; DB_PORT="${PGPORT:-5432}"
        DB_USER="${PGUSER:-$(id -un)}"; DB_PASSWORD="${PGPASSWORD:-False}"
        return 0
    fi
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bindir" ]; then
        say "Installing PostgreSQL from Debian's packages"
        apt_install postgresql || die "PostgreSQL is not installed and could not be installed; install it or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
        bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    local pgdir="$LOCAL/pg" data="$LOCAL/pg/data" pguser="postgres"
    [ "$(id -u)" -eq 0 ] || pguser="$(id -un)"
    run_pg() { if [ "$pguser" = "$(id -un)" ]; then "$@"; else runuser -u "$pguser" -- "$@"; fi; }
    mkdir -p "$pgdir"
    [ "$pguser" = "$(id -un)" ] || chown "$pguser" "$pgdir"
    if [ ! -f "$data/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $data"
        run_pg "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! run_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        local port
        port="$(free_port)"
        echo "$port" > "$pgdir/port"
        run_pg "$bindir/pg_ctl" -D "$data" -l "$pgdir/server.log" -w -s \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off -c max_connections=200" start \
            || die "PostgreSQL did not start; see $pgdir/server.log"
        say "PostgreSQL listening on 127.0.0.1:$port"
    fi
    DB_HOST=127.0.0.1; DB_PORT="$(cat "$pgdir/port")"; DB_USER=crossdept; DB_PASSWORD=crossdept
    "$bindir/psql" -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -tAq -c \
        "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crossdept') THEN CREATE ROLE crossdept LOGIN CREATEDB PASSWORD 'crossdept'; END IF; END\$\$;" >/dev/null
}

psql_admin() {
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    PGPASSWORD="$DB_PASSWORD" "${bindir:-/usr/bin}/psql" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -tAq "$@"
}

write_odoo_conf() {
    local conf="$LOCAL/odoo.conf"
    sed -e "s#@ADDONS_PATH@#$(odoo_addons_path)#" \
        -e "s#@DB_HOST@#$DB_HOST#" -e "s#@DB_PORT@#$DB_PORT#" \
        -e "s#@DB_USER@#$DB_USER#" -e "s#@DB_PASSWORD@#$DB_PASSWORD#" \
        -e "s#@DATA_DIR@#$LOCAL/filestore#" \
        "$ROOT/config/odoo.conf.template" > "$conf"
    ODOO_CONF="$conf"
}

odoo_bin() { "$PYTHON" -m odoo "$@"; }

# Odoo prints PDF reports (the quarterly process review) with wkhtmltopdf; without
# it they open as HTML, so a failed install is not fatal.
ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null && return 0
    say "Installing Debian's wkhtmltopdf for PDF reports"
    apt_install wkhtmltopdf || say "wkhtmltopdf could not be installed: PDF reports will open as HTML"
}
