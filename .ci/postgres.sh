#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the coffer-store tests, on a unix socket
# in a directory of its own and, with TLS (`ssl=on`), on a free TCP port of
# 127.0.0.1, from the Debian `postgresql` package (installed when `initdb` is
# missing). Its certificate is issued at start, with the `openssl` CLI, by a
# test CA made then too; a second CA, which issued nothing the server
# presents, is there for the tests that must see a certificate refused.
#
#   .ci/postgres.sh start   # prints `export COFFER_TEST_POSTGRES_URL=…` (the
#                           # socket), `COFFER_TEST_POSTGRES_TLS_URL=…` (TCP,
#                           # `sslmode=verify-full` with the test CA) and
#                           # `COFFER_TEST_POSTGRES_OTHER_CA=…` (the second CA)
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

# Percent-encodes a path for a URL.
encode() {
    printf '%s' "$1" | sed 's|%|%25|g; s|/|%2F|g; s| |%20|g; s|&|%26|g; s|?|%3F|g; s|#|%23|g'
}

# The test CA, a server certificate it issues for localhost and 127.0.0.1,
# and a second CA, in $dir/tls.
certificates() {
    local tls="$dir/tls"
    command -v openssl >/dev/null || {
        if [ "$(id -u)" -ne 0 ]; then
            echo "openssl is missing: install the Debian package \`openssl\`" >&2
            exit 1
        fi
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2
    }
    mkdir -p "$tls"
    for ca in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
            -subj "/CN=coffer test $ca" -keyout "$tls/$ca.key" -out "$tls/$ca.pem" 2>/dev/null
    done
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 7 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
    rm -f "$tls/ca.key" "$tls/other-ca.key" "$tls/server.csr"
    chmod 600 "$tls/server.key"
    chmod 755 "$tls"
}

# A TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "no free port found on 127.0.0.1" >&2
    exit 1
}

start() {
    local bin user port started
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
    certificates
    chown -R "$user" "$dir/tls"
    # A port taken between the probe and the start: try another.
    started=no
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
            --options="-c listen_addresses='127.0.0.1' -c port=$port -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=off -c ssl=on -c ssl_cert_file='$dir/tls/server.pem' -c ssl_key_file='$dir/tls/server.key'" \
            start >&2; then
            started=yes
            break
        fi
    done
    [ "$started" = yes ] || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" --host="$dir" --port="$port" --username="$user" "$database"
    # The socket directory as the URL's host, percent-encoded.
    echo "export COFFER_TEST_POSTGRES_URL='postgresql://${user}@$(encode "$dir"):${port}/${database}'"
    echo "export COFFER_TEST_POSTGRES_TLS_URL='postgresql://${user}@localhost:${port}/${database}?sslmode=verify-full&sslrootcert=$(encode "$dir/tls/ca.pem")'"
    echo "export COFFER_TEST_POSTGRES_OTHER_CA='$dir/tls/other-ca.pem'"
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
