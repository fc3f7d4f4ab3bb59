#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the coffer-store tests, on a unix socket
# in a directory of its own (no TCP port), from the Debian `postgresql`
# package (installed when `initdb` is missing).
#
#   .ci/postgres.sh start   # prints `export COFFER_TEST_POSTGRES_URL=…`
#   .ci/postgres.sh stop    # stops the cluster and removes its directory
#
# The cluster lives in $COFFER_PG_DIR (default: /tmp/coffer-pg-<user>).
# PostgreSQL refuses to run as root: as root, the cluster runs as the
# system user `coffer-ci` (created when missing).
#
#   eval "$(.ci/postgres.sh start)" && cargo test -p coffer-store; .ci/postgres.sh stop
set -euo pipefail

dir="${COFFER_PG_DIR:-/tmp/coffer-pg-$(id -un)}"
database=coffer

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "initdb is missing: install the Debian package \`postgresql\`" >&2
            exit 1
        fi
        echo "installing postgresql" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$found"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u coffer-ci -- "$@"
    else
        "$@"
    fi
}

owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id -u coffer-ci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coffer-ci
        echo coffer-ci
    else
        id -un
    fi
}

start() {
    local bin user
    bin=$(bindir)
    user=$(owner)
    if [ -f "$dir/data/postmaster.pid" ]; then
        echo "a cluster is running in $dir already; stop it first" >&2
        exit 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chown "$user" "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" --pgdata="$dir/data" --username="$user" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
        --options="-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=off" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" --host="$dir" --username="$user" "$database"
    # The socket directory as the URL's host, percent-encoded.
    local host
    host=$(printf '%s' "$dir" | sed 's|%|%25|g; s|/|%2F|g')
    echo "export COFFER_TEST_POSTGRES_URL='postgresql://${user}@${host}/${database}'"
}

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$(bindir)/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >&2
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
