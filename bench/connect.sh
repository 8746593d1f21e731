#!/usr/bin/env bash
# Connect benchmark: one process that connects over TLS, runs `select 1`
# and exits — rdsql against psql (PostgreSQL 15) and the mariadb client
# (MariaDB) on the same private servers, timed by hyperfine in one run.
# Password auth (SCRAM / mysql_native_password), TLS required, certificate
# not verified by any of the tools (sslmode=require / --ssl), so every tool
# does the same handshake work.
#
# usage: bash bench/connect.sh [runs]     (default 40 runs per command)
#        RDSQL_BIN=path/to/rdsql bash bench/connect.sh   (time another build)
#        RDSQL_BASELINE_BIN=path/to/old/rdsql …           (add an older build to the same run;
#          e.g. one built with AWS_LC_SYS_NO_JITTER_ENTROPY=0 to see what the fix saves)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-40}
PGBIN=${RDSQL_PG_BIN:-/usr/lib/postgresql/15/bin}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
if [ -z "${RDSQL_BIN:-}" ]; then
  cargo build --release -q -p rdsql
  RDSQL_BIN=$PWD/target/release/rdsql
fi
W=$(mktemp -d /tmp/rdsql-bench.XXXXXX)
chmod 755 "$W"
cleanup() {
  [ -n "${PGPID:-}" ] && kill "$PGPID" 2>/dev/null || true
  [ -n "${MYPID:-}" ] && kill "$MYPID" 2>/dev/null || true
  sleep 1; rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PW=bench-pw-123
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -keyout "$W/server.key" -out "$W/server.pem" >/dev/null 2>&1
chmod 644 "$W/server.pem"; chmod 600 "$W/server.key"

# --- PostgreSQL with TLS ---
PGPORT=$(free_port)
mkdir -p "$W/pg" && cp "$W/server.pem" "$W/server.key" "$W/pg/" && chown -R postgres: "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -U postgres --auth=trust -E UTF8 --no-locale --no-sync -D "$W/pg/data" >/dev/null
printf "port=%s\nlisten_addresses='127.0.0.1'\nunix_socket_directories='%s'\nfsync=off\nssl=on\nssl_cert_file='%s'\nssl_key_file='%s'\n" \
  "$PGPORT" "$W/pg" "$W/pg/server.pem" "$W/pg/server.key" >> "$W/pg/data/postgresql.conf"
printf "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n" > "$W/pg/data/pg_hba.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg/data" >"$W/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h "$W/pg" -p "$PGPORT" && break; sleep 0.1; done
"$PGBIN/psql" -X -q -h "$W/pg" -p "$PGPORT" -U postgres -d postgres -c "create user bench password '$PW'"

# --- MariaDB with TLS ---
MYPORT=$(free_port)
mariadb-install-db --no-defaults --datadir="$W/my" --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$W/my" --socket="$W/my.sock" --port="$MYPORT" --bind-address=127.0.0.1 \
  --user=root --skip-log-bin --skip-name-resolve --ssl-cert="$W/server.pem" --ssl-key="$W/server.key" \
  --log-error="$W/my.log" &
MYPID=$!
for _ in $(seq 100); do mariadb --no-defaults -S "$W/my.sock" -uroot -e 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
mariadb --no-defaults -S "$W/my.sock" -uroot -e "create user bench@'%' identified by '$PW'"

export PGPASSWORD=$PW MYSQL_PWD=$PW
PG_URL="postgres://bench@127.0.0.1:$PGPORT/postgres?sslmode=require"
MY_URL="mariadb://bench@127.0.0.1:$MYPORT?sslmode=require"
# Each tool must really use TLS (checked once, before timing).
"$RDSQL_BIN" query "$PG_URL" --format csv -c "select ssl from pg_stat_ssl where pid = pg_backend_pid()" | grep -qx t
PGSSLMODE=require "$PGBIN/psql" -X -At -h 127.0.0.1 -p "$PGPORT" -U bench -d postgres -c "select ssl from pg_stat_ssl where pid = pg_backend_pid()" | grep -qx t
"$RDSQL_BIN" query "$MY_URL" --format csv -c "show status like 'Ssl_version'" | grep -q TLSv1
mariadb --no-defaults --ssl -h 127.0.0.1 -P "$MYPORT" -ubench -N -e "show status like 'Ssl_version'" | grep -q TLSv1

echo "$(nproc) cores; $(date -u +%F); $RUNS runs per command; binary: $RDSQL_BIN"
PG_EXTRA=() MY_EXTRA=()
if [ -n "${RDSQL_BASELINE_BIN:-}" ]; then
  PG_EXTRA=(-n "rdsql baseline (PostgreSQL, TLS)" "$RDSQL_BASELINE_BIN query $PG_URL -c 'select 1'")
  MY_EXTRA=(-n "rdsql baseline (MariaDB, TLS)" "$RDSQL_BASELINE_BIN query $MY_URL -c 'select 1'")
fi
hyperfine -N -w 5 -r "$RUNS" --export-markdown "$W/pg.md" \
  -n "rdsql query (PostgreSQL, TLS)" "$RDSQL_BIN query $PG_URL -c 'select 1'" \
  -n "psql (PostgreSQL, TLS)" "env PGSSLMODE=require $PGBIN/psql -X -h 127.0.0.1 -p $PGPORT -U bench -d postgres -c 'select 1'" \
  "${PG_EXTRA[@]}" >/dev/null
hyperfine -N -w 5 -r "$RUNS" --export-markdown "$W/my.md" \
  -n "rdsql query (MariaDB, TLS)" "$RDSQL_BIN query $MY_URL -c 'select 1'" \
  -n "mariadb (MariaDB, TLS)" "mariadb --no-defaults --ssl -h 127.0.0.1 -P $MYPORT -ubench -e 'select 1'" \
  "${MY_EXTRA[@]}" >/dev/null
cat "$W/pg.md"; echo; cat "$W/my.md"
