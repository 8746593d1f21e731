#!/usr/bin/env bash
# rdsql ui benchmark: time to the first row and to 100,000 rows in the
# browser's grid for `select * from bench` on a 1,000,000-row table, and
# the server's peak RSS while exporting those 1,000,000 rows — side by side
# with psql in the same run (time to its first output line; peak RSS of
# `psql --csv`). A private PostgreSQL 15 on loopback; headless Debian
# Chromium driven by Selenium (PyPI, in a venv; no browser download).
#
# usage: bash bench/ui.sh [runs]     (default 5 runs, median reported)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
PGBIN=${RDSQL_PG_BIN:-/usr/lib/postgresql/15/bin}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }
VENV=${RDSQL_BENCH_VENV:-/tmp/rdsql-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import selenium' 2>/dev/null || "$VENV/bin/pip" install -q 'selenium>=4.20'
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql
W=$(mktemp -d /tmp/rdsql-bench.XXXXXX)
chmod 755 "$W"
cleanup() {
  [ -n "${UIPID:-}" ] && kill "$UIPID" 2>/dev/null || true
  [ -n "${PGPID:-}" ] && kill "$PGPID" 2>/dev/null || true
  sleep 1; rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PGPORT=$(free_port)
mkdir -p "$W/pg" && chown postgres: "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -U postgres --auth=trust -E UTF8 --no-locale --no-sync -D "$W/pg/data" >/dev/null
printf "port=%s\nlisten_addresses='127.0.0.1'\nunix_socket_directories='%s'\nfsync=off\nshared_buffers=128MB\n" "$PGPORT" "$W/pg" >> "$W/pg/data/postgresql.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg/data" >"$W/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "
  create table bench as select g as id, md5(g::text) as txt,
    timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' as ts,
    (g * 1.01)::numeric(12,2) as num, g % 2 = 0 as flag
  from generate_series(1, 1000000) g; analyze bench;"

UIPORT=$(free_port)
RDSQL_DATA_DIR=$W/data RDSQL_CONFIG_DIR=$W/cfg "$RDSQL" ui --no-browser --port "$UIPORT" >"$W/ui.out" 2>"$W/ui.err" &
UIPID=$!
for _ in $(seq 100); do grep -q token= "$W/ui.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^rdsql ui: //p' "$W/ui.out" | head -1)

echo "runs per figure: $RUNS (median); $(nproc) cores; $(date -u +%F); $(/usr/bin/chromium --version 2>/dev/null)"
echo
"$VENV/bin/python" bench/ui_driver.py "$URL" "$PGPORT" "$UIPID" "$RUNS" "$PGBIN" "$RDSQL" "$W"
