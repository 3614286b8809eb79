# shellcheck shell=bash
# Shared set-up for scripts/run and scripts/test. Every step is safe to repeat.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
# Odoo and the Python tools live in a virtual environment outside the checkout, as
# Odoo's documentation installs from source, so that the system's Python is never
# changed. PYTHON names another interpreter that already has Odoo 18 instead.
VENV="${CROSSDEPT_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/crossdept/venv}"
if [ -n "${PYTHON:-}" ]; then
    PYTHON_GIVEN=1
else
    PYTHON_GIVEN=0
    PYTHON="$VENV/bin/python"
fi
mkdir -p "$LOCAL"

say() { printf '\033[1m[crossdept]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[crossdept] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# Debian packages. Another apt-get or dpkg may hold the package manager's lock (an
# unattended upgrade, a colleague's set-up): wait for it rather than skip anything.
APT_LOCK_TIMEOUT="${CROSSDEPT_APT_LOCK_TIMEOUT:-900}"
apt_get() {
    # DPkg::Lock::Timeout makes apt wait for dpkg's lock; the lists lock of
    # "apt-get update" is waited for here, as is any lock apt reports busy
    local deadline=$((SECONDS + APT_LOCK_TIMEOUT)) out status
    while true; do
        status=0
        out="$(DEBIAN_FRONTEND=noninteractive as_root apt-get \
            -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" "$@" 2>&1)" || status=$?
        if [ "$status" = 0 ]; then
            return 0
        fi
        if grep -qiE "could not get lock|unable to lock|is held by process" <<<"$out" \
            && [ "$SECONDS" -lt "$deadline" ]; then
            say "Another apt-get or dpkg holds the package manager's lock; waiting"
            sleep 5
            continue
        fi
        printf '%s\n' "$out" >&2
        return "$status"
    done
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    if [ ! -f "$LOCAL/.apt-updated" ]; then
        apt_get update -qq && touch "$LOCAL/.apt-updated"
    fi
    apt_get install -y -qq "$@"
}

# Whether a Debian package is installed (false where dpkg is missing: then apt is too)
debian_package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

odoo_version_ok() {
    [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null || return 1
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
    if [ "$PYTHON_GIVEN" = 0 ] && [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtual environment $VENV"
        mkdir -p "$(dirname "$VENV")"
        # Debian splits venv off python3: install it only when python3 -m venv fails
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            apt_install python3-venv >/dev/null 2>&1 || true
            python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (apt-get install python3-venv)"
        fi
        "$PYTHON" -m pip install -q --upgrade pip
    fi
    say "Installing Odoo from $tree into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    # headers that python-ldap and psycopg2 build against; apt only for missing ones
    local pkg missing=()
    for pkg in libldap2-dev libsasl2-dev libpq-dev; do
        debian_package_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}" || say "Could not install ${missing[*]}; continuing"
    fi
    local constraint="$LOCAL/pip-constraint.txt"
    echo 'setuptools<70' > "$constraint"   # cbor2 5.4 does not build with newer setuptools
    # pip 25.3 and later read build constraints from their own option
    PIP_CONSTRAINT="$constraint" PIP_BUILD_CONSTRAINT="$constraint" \
        "$PYTHON" -m pip install -q -r "$tree/requirements.txt"
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
    ODOO_SRC=\$HOME/src/odoo-18.0 $0
It is installed into the virtual environment $VENV (CROSSDEPT_VENV moves it);
or set PYTHON to an interpreter that already has Odoo 18."
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
    # the stamp lives in the virtual environment, so that another one (CROSSDEPT_VENV,
    # PYTHON) starts without it and gets the requirements; for a Python that is no
    # venv, in .local, keyed by the interpreter (nothing is written next to it)
    local stamp sum
    stamp="$("$PYTHON" -c 'import sys; print(sys.prefix if sys.prefix != sys.base_prefix else "")')"
    if [ -n "$stamp" ] && [ -w "$stamp" ]; then
        stamp="$stamp/crossdept-requirements.sha"
    else
        stamp="$LOCAL/.requirements-$(printf '%s' "$PYTHON" | sha256sum | cut -c1-12).sha"
    fi
    sum="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "Installing Python requirements"
        "$PYTHON" -m pip install -q -r "$ROOT/requirements.txt"
        echo "$sum" > "$stamp"
    fi
    # the websocket (gevent) process of Odoo's workers mode needs these resolvable
    "$PYTHON" -c 'import pkg_resources; pkg_resources.require("gevent")' 2>/dev/null \
        || die "gevent's dependencies cannot be resolved by pkg_resources: Odoo's websocket process would die at start (see requirements.txt, zope.*)."
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

pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Private PostgreSQL clusters live outside the checkout, where the postgres user can
# enter even when the checkout is in a home folder only its owner may open (/root is
# mode 700 on Debian). Each checkout gets its own clusters, keyed by a hash of its
# path, so worktrees and clones on one machine never share one:
#   root:   /var/lib/postgresql/crossdept/<hash>-<name>   (owned by postgres)
#   others: /var/tmp/crossdept-pg-<user>/<hash>-<name>
# CROSSDEPT_PG_ROOT overrides the parent folder. .local/pg/<name> links to it (logs).
checkout_key() { printf '%s' "$ROOT" | sha256sum | cut -c1-12; }

pg_owner() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

run_as_pg() {
    if [ "$(pg_owner)" = "$(id -un)" ]; then "$@"; else runuser -u "$(pg_owner)" -- "$@"; fi
}

pg_cluster_dir() {
    local name="$1" base
    if [ -n "${CROSSDEPT_PG_ROOT:-}" ]; then
        base="$CROSSDEPT_PG_ROOT"
    elif [ "$(id -u)" -eq 0 ] && [ -d /var/lib/postgresql ]; then
        base=/var/lib/postgresql/crossdept
    else
        base="/var/tmp/crossdept-pg-$(pg_owner)"
    fi
    echo "$base/$(checkout_key)-$name"
}

# Settings of each cluster. Only the throwaway test cluster of scripts/test trades
# durability for speed; every other cluster keeps PostgreSQL's durable defaults,
# stated explicitly so that nothing inherited can turn them off.
pg_settings() {
    local name="$1"
    echo "-c listen_addresses=127.0.0.1 -c max_connections=200"
    if [ "$name" = test ]; then
        echo "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    else
        echo "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    fi
}

# Create (once) and start the private cluster NAME (default "run"), then set DB_*.
# The usual PG* variables name an existing server instead.
ensure_postgres() {
    local name="${1:-run}"
    if [ -n "${PGHOST:-}" ]; then
        DB_HOST="$PGHOST"; DB_PORT="${PGPORT:-5432}"
        DB_USER="${PGUSER:-$(id -un)}"; DB_PASSWORD="${PGPASSWORD:-False}"
        return 0
    fi
    local bindir
    bindir="$(pg_bindir)"
    if [ -z "$bindir" ]; then
        say "Installing PostgreSQL from Debian's packages"
        apt_install postgresql || die "PostgreSQL is not installed and could not be installed; install it or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
        bindir="$(pg_bindir)"
    fi
    local dir data owner
    dir="$(pg_cluster_dir "$name")"; data="$dir/data"; owner="$(pg_owner)"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        chmod 755 "$(dirname "$dir")"
        chown "$owner" "$(dirname "$dir")" "$dir"
        chmod 700 "$dir"
        echo "$ROOT" > "$dir/checkout"
    fi
    mkdir -p "$LOCAL/pg"
    ln -sfn "$dir" "$LOCAL/pg/$name"
    if [ ! -f "$data/PG_VERSION" ]; then
        say "Creating the private PostgreSQL cluster '$name' in $data"
        run_as_pg "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null \
            || die "initdb failed for $data"
    fi
    if ! run_as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        local port
        port="$(free_port)"
        run_as_pg sh -c "echo $port > '$dir/port'"
        # shellcheck disable=SC2046
        run_as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -s \
            -o "-p $port -k $data $(pg_settings "$name" | tr '\n' ' ')" start \
            || die "PostgreSQL did not start; see $dir/server.log"
        say "PostgreSQL '$name' listening on 127.0.0.1:$port"
    fi
    DB_HOST=127.0.0.1; DB_PORT="$(cat "$dir/port")"; DB_USER=crossdept; DB_PASSWORD=crossdept
    "$bindir/psql" -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -tAq -c \
        "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crossdept') THEN CREATE ROLE crossdept LOGIN CREATEDB PASSWORD 'crossdept'; END IF; END\$\$;" >/dev/null
}

# Stop the private cluster NAME; with "drop", delete its files too.
stop_postgres() {
    local name="${1:-run}" drop="${2:-}" dir bindir
    dir="$(pg_cluster_dir "$name")"; bindir="$(pg_bindir)"
    if [ -f "$dir/data/PG_VERSION" ]; then
        run_as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
            && run_as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -s stop
    fi
    if [ "$drop" = drop ]; then
        rm -rf "$dir" "$LOCAL/pg/$name"
    fi
    return 0
}

psql_admin() {
    PGPASSWORD="$DB_PASSWORD" "$(pg_bindir || true)/psql" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -tAq "$@"
}

# Fill config/odoo.conf.template into CONF (default .local/odoo.conf, scripts/run's)
# with EXTRA_ADDONS (a folder) appended to the addons path; sets ODOO_CONF.
write_odoo_conf() {
    local conf="${1:-$LOCAL/odoo.conf}" addons
    addons="$(odoo_addons_path)${2:+,$2}"
    sed -e "s#@ADDONS_PATH@#$addons#" \
        -e "s#@DB_HOST@#$DB_HOST#" -e "s#@DB_PORT@#$DB_PORT#" \
        -e "s#@DB_USER@#$DB_USER#" -e "s#@DB_PASSWORD@#$DB_PASSWORD#" \
        -e "s#@DATA_DIR@#$LOCAL/filestore#" \
        "$ROOT/config/odoo.conf.template" > "$conf"
    ODOO_CONF="$conf"
}

# Odoo's own launcher: the `odoo` console script that `pip install -e` puts next to
# the Python in use (or odoo-bin / setup/odoo of a source tree). With --workers the
# prefork server re-executes sys.argv[0] to start its websocket (gevent) process,
# which fails when Odoo runs as `python -m odoo`.
odoo_launcher() {
    "$PYTHON" - <<'PY'
import os, sys
import odoo
tree = os.path.dirname(os.path.dirname(odoo.__file__))
for path in (
    os.path.join(os.path.dirname(sys.executable), "odoo"),
    os.path.join(tree, "odoo-bin"),
    os.path.join(tree, "setup", "odoo"),
):
    if os.path.isfile(path):
        print(path)
        break
else:
    sys.exit("no Odoo launcher next to %s nor in %s" % (sys.executable, tree))
PY
}

# Sets ODOO_LAUNCHER once, for commands that run Odoo under another program
# (exec, timeout, setsid), which cannot call the function below.
need_odoo_launcher() {
    [ -n "${ODOO_LAUNCHER:-}" ] || ODOO_LAUNCHER="$(odoo_launcher)" || die "Odoo's launcher (the odoo script) was not found."
}

odoo_bin() {
    need_odoo_launcher
    "$PYTHON" "$ODOO_LAUNCHER" "$@"
}

# Odoo prints PDF reports (the quarterly process review) with wkhtmltopdf. Without it
# they would silently open as HTML, so a failed install stops the command, unless
# CROSSDEPT_WITHOUT_PDF=1 says that HTML reports are acceptable.
ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null && return 0
    say "Installing Debian's wkhtmltopdf for PDF reports"
    apt_install wkhtmltopdf && return 0
    if [ "${CROSSDEPT_WITHOUT_PDF:-}" = 1 ]; then
        say "WARNING: wkhtmltopdf could not be installed; CROSSDEPT_WITHOUT_PDF=1, so PDF reports will open as HTML"
        return 0
    fi
    die "wkhtmltopdf could not be installed (apt-get failed, see above), so PDF reports would open as HTML.
Install it (apt-get install wkhtmltopdf) and run again, or set CROSSDEPT_WITHOUT_PDF=1 to go on without PDF."
}

# Debian's nginx, for the reverse proxy of scripts/run --workers and scripts/cluster.
ensure_nginx() {
    command -v nginx >/dev/null && return 0
    [ -x /usr/sbin/nginx ] && return 0
    say "Installing Debian's nginx"
    apt_install nginx-light || apt_install nginx || die "nginx is missing and could not be installed (apt-get install nginx)."
    # Debian starts a default site on port 80: this project runs its own instances
    if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
        as_root systemctl stop nginx || true
    fi
}

# A local nginx instance NAME from config/nginx/crossdept.conf.template, listening on
# 127.0.0.1:PORT in front of the given Odoo http and gevent addresses (comma-separated
# host:port lists). Logs go to .local/nginx-NAME/; its runtime files (pid, temp and
# cache folders that nginx's worker user must enter) outside the checkout.
nginx_runtime_dir() { echo "/var/tmp/crossdept-nginx-$(id -un)/$(checkout_key)-$1"; }

start_nginx() {
    local name="$1" port="$2" http="$3" ws="$4"
    local run logs servers_http="" servers_ws="" addr user_line=""
    run="$(nginx_runtime_dir "$name")"; logs="$LOCAL/nginx-$name"
    mkdir -p "$run" "$logs"
    chmod 755 "$(dirname "$run")" "$run"
    for addr in ${http//,/ }; do servers_http+="server $addr max_fails=3 fail_timeout=10s; "; done
    for addr in ${ws//,/ }; do servers_ws+="server $addr; "; done
    if [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1; then user_line="user www-data;"; fi
    sed -e "s#@HTTP_SERVERS@#$servers_http#" -e "s#@WS_SERVERS@#$servers_ws#" \
        -e "s#@LISTEN@#127.0.0.1:$port#" -e "s#@SERVER_NAME@#localhost#" \
        -e "s#@LOGIN_RATE@#${CROSSDEPT_LOGIN_RATE:-600r/m}#" \
        -e "s#@API_RATE@#${CROSSDEPT_API_RATE:-1000r/s}#" -e "s#@CACHE_DIR@#$run/cache#" \
        "$ROOT/config/nginx/crossdept.conf.template" > "$run/site.conf"
    cat > "$run/nginx.conf" <<CONF
$user_line
worker_processes 2;
pid $run/nginx.pid;
error_log $logs/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format crossdept '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                         'upstream=\$upstream_addr time=\$request_time';
    access_log $logs/access.log crossdept;
    client_body_temp_path $run/body;
    proxy_temp_path $run/proxy;
    fastcgi_temp_path $run/fastcgi;
    uwsgi_temp_path $run/uwsgi;
    scgi_temp_path $run/scgi;
    include $run/site.conf;
}
CONF
    stop_nginx "$name"
    nginx_bin -t -q -c "$run/nginx.conf" -p "$run" -e "$logs/error.log" \
        || die "nginx refused its configuration $run/nginx.conf"
    nginx_bin -c "$run/nginx.conf" -p "$run" -e "$logs/error.log" \
        || die "nginx did not start; see $logs/error.log"
    say "nginx '$name' listening on http://127.0.0.1:$port"
}

stop_nginx() {
    local run pid
    run="$(nginx_runtime_dir "$1")"
    pid="$(cat "$run/nginx.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$run/nginx.pid"
}

nginx_bin() { if command -v nginx >/dev/null; then nginx "$@"; else /usr/sbin/nginx "$@"; fi; }

# "--workers=N" / "--workers N" among Odoo's arguments: N, else 0
workers_arg() {
    local n=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --workers=*) n="${1#--workers=}" ;;
            --workers) n="${2:-0}"; shift ;;
        esac
        shift
    done
    echo "$n"
}
