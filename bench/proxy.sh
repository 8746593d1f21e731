#!/usr/bin/env bash
# rdsql proxy benchmark, one run side by side: pgbench -S (select-only)
# direct to PostgreSQL (TLS), through `rdsql proxy` (plain client leg, TLS
# upstream) and through pgbouncer (session pooling, TLS upstream); pgbench
# -C (a new connection per transaction: TLS + login each time);
# mariadb-slap direct vs through the proxy; the proxy's RSS with 200 idle
# clients. Private servers on loopback with a generated CA; password
# (SCRAM / native) logins, as IAM needs AWS.
#
# usage: bash bench/proxy.sh [seconds]     (default 20 s per pgbench run)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
PGBIN=${RDSQL_PG_BIN:-/usr/lib/postgresql/15/bin}
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || { apt-get update -qq && apt-get install -y -qq pgbouncer; }
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql
W=$(mktemp -d /tmp/rdsql-bench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A CA and a server certificate for 127.0.0.1 / localhost.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$W/server.key" -out "$W/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$W/san"
openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 -extfile "$W/san" -out "$W/server.pem" 2>/dev/null
chmod 644 "$W"/*.pem; chmod 600 "$W"/*.key

# PostgreSQL with TLS and SCRAM.
PGPORT=$(free_port)
mkdir -p "$W/pg" && cp "$W/server.pem" "$W/server.key" "$W/pg/" && chown -R postgres: "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -U postgres --auth=trust -E UTF8 --no-locale --no-sync -D "$W/pg/data" >/dev/null
cat >> "$W/pg/data/postgresql.conf" <<CONF
port=$PGPORT
listen_addresses='127.0.0.1'
unix_socket_directories='$W/pg'
fsync=off
max_connections=300
ssl=on
ssl_cert_file='$W/pg/server.pem'
ssl_key_file='$W/pg/server.key'
password_encryption='scram-sha-256'
CONF
printf 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n' > "$W/pg/data/pg_hba.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg/data" >"$W/pg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h "$W/pg" -p "$PGPORT" && break; sleep 0.1; done
"$PGBIN/psql" -X -q -h "$W/pg" -p "$PGPORT" -U postgres -c "create user bench password 'bench-pass'" -c "create database bench owner bench"
export PGPASSWORD=bench-pass
PGB=("$PGBIN/pgbench" -n -U bench)
PGSSLMODE=require "${PGB[@]}" -h 127.0.0.1 -p "$PGPORT" -i -s 10 -q bench >/dev/null 2>&1

# rdsql proxy.
PXPORT=$(free_port)
"$RDSQL" proxy "postgres://bench:bench-pass@127.0.0.1:$PGPORT/bench?sslmode=verify-full&sslrootcert=$W/ca.pem" \
  --port "$PXPORT" --max-sigterm-delay 1 >"$W/proxy.out" 2>"$W/proxy.log" &
PXPID=$!; PIDS+=($PXPID)
for _ in $(seq 100); do grep -q " on " "$W/proxy.out" 2>/dev/null && break; sleep 0.1; done

# pgbouncer, session pooling, TLS upstream verified against the same CA.
BXPORT=$(free_port)
mkdir -p "$W/bx"
printf '"bench" "bench-pass"\n' > "$W/bx/users.txt"
cat > "$W/bx/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$PGPORT dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BXPORT
unix_socket_dir =
auth_type = plain
auth_file = $W/bx/users.txt
pool_mode = session
max_client_conn = 400
default_pool_size = 300
server_tls_sslmode = verify-full
server_tls_ca_file = $W/ca.pem
logfile = $W/bx/pgbouncer.log
pidfile = $W/bx/pgbouncer.pid
INI
chown -R postgres: "$W/bx"
runuser -u postgres -- "$PGBOUNCER" "$W/bx/pgbouncer.ini" >/dev/null 2>&1 &
PIDS+=($!)
sleep 1

tps() { grep -o 'tps = [0-9.]*' | tail -1 | awk '{printf "%.0f", $3}'; }
run() { # name port sslmode args...
  local name=$1 port=$2 mode=$3; shift 3
  PGSSLMODE=$mode "${PGB[@]}" -h 127.0.0.1 -p "$port" "$@" bench 2>&1 | tps
}

echo "pgbench -S, $SECS s per line; $(nproc) cores; $(date -u +%F); $("$PGBIN/pgbench" --version); $("$PGBOUNCER" --version | head -1)"
echo
echo "| pgbench | direct (TLS) | rdsql proxy | pgbouncer (session) | proxy / direct | proxy / pgbouncer |"
echo "|---|---|---|---|---|---|"
for c in 1 8; do
  d=$(run direct "$PGPORT" require -S -c "$c" -j "$((c < 2 ? 1 : 2))" -T "$SECS")
  p=$(run proxy "$PXPORT" disable -S -c "$c" -j "$((c < 2 ? 1 : 2))" -T "$SECS")
  b=$(run pgbouncer "$BXPORT" disable -S -c "$c" -j "$((c < 2 ? 1 : 2))" -T "$SECS")
  echo "| -S -c $c | $d | $p | $b | $(awk "BEGIN{printf \"%.2f\", $p/$d}") | $(awk "BEGIN{printf \"%.2f\", $p/$b}") |"
done
CS=$((SECS / 2))
d=$(run direct "$PGPORT" require -S -C -c 4 -j 2 -T "$CS")
p=$(run proxy "$PXPORT" disable -S -C -c 4 -j 2 -T "$CS")
b=$(run pgbouncer "$BXPORT" disable -S -C -c 4 -j 2 -T "$CS")
echo "| -S -C -c 4 (new connection per transaction) | $d | $p | $b | $(awk "BEGIN{printf \"%.2f\", $p/$d}") | $(awk "BEGIN{printf \"%.2f\", $p/$b}") |"

# 200 idle clients through the proxy: its RSS.
rss() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$PXPID/status"; }
idle=$(rss)
printf 'select pg_sleep(6);\n' > "$W/sleep.sql"
PGSSLMODE=disable "${PGB[@]}" -h 127.0.0.1 -p "$PXPORT" -f "$W/sleep.sql" -c 200 -j 4 -t 1 bench >/dev/null 2>&1 &
BG=$!
sleep 4
busy=$(rss)
wait $BG || true
echo
echo "rdsql proxy RSS: $idle MB idle, $busy MB with 200 clients connected."

# MariaDB: mariadb-slap direct vs through the proxy.
MYPORT=$(free_port)
mariadb-install-db --no-defaults --datadir="$W/my" --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --open-files-limit=4096 --datadir="$W/my" --socket="$W/my.sock" --port="$MYPORT" --bind-address=127.0.0.1 --user=root \
  --skip-log-bin --skip-name-resolve --ssl-cert="$W/server.pem" --ssl-key="$W/server.key" --ssl-ca="$W/ca.pem" \
  --max-connections=300 --log-error="$W/my.log" &
PIDS+=($!)
for _ in $(seq 200); do mariadb --no-defaults --socket="$W/my.sock" -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
mariadb --no-defaults --socket="$W/my.sock" -u root -e "create database b; create user bench@'%' identified by 'bench-pass'; grant all on b.* to bench@'%';
  use b; create table t (id int primary key, v varchar(40)); insert into t select seq, md5(seq) from seq_1_to_10000;"
MYPX=$(free_port)
"$RDSQL" proxy "mariadb://bench:bench-pass@127.0.0.1:$MYPORT/b?sslmode=verify-full&sslrootcert=$W/ca.pem" \
  --port "$MYPX" --max-sigterm-delay 1 >"$W/myproxy.out" 2>"$W/myproxy.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q " on " "$W/myproxy.out" 2>/dev/null && break; sleep 0.1; done
slap() { # port ssl-args...
  local port=$1; shift
  mariadb-slap --no-defaults -h 127.0.0.1 -P "$port" -u bench -pbench-pass "$@" --create-schema=b \
    --query="select v from t where id = 4242" --concurrency=8 --number-of-queries=80000 --iterations=3 2>&1 \
    | awk -F': ' '/Average number of seconds/{print $2}' | awk '{print $1}'
}
sd=$(slap "$MYPORT" --ssl)
sp=$(slap "$MYPX" --skip-ssl)
echo
echo "| mariadb-slap --concurrency 8, 80,000 point selects | direct (TLS) | rdsql proxy | proxy / direct (throughput) |"
echo "|---|---|---|---|"
echo "| average seconds per run (3 runs) | $sd | $sp | $(awk "BEGIN{printf \"%.2f\", $sd/$sp}") |"
