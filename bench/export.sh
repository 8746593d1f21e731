#!/usr/bin/env bash
# Export benchmark: 1,000,000 rows (int, md5 text, timestamptz, numeric,
# bool) exported as CSV/TSV by rdsql and by the engines' own clients, with
# wall time and peak RSS from /usr/bin/time -v. Starts private servers on
# loopback (PostgreSQL 15 as the postgres user, MariaDB) and removes them.
#
# usage: bash bench/export.sh [runs]     (default 3 runs, median reported)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
PGBIN=${RDSQL_PG_BIN:-/usr/lib/postgresql/15/bin}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql
W=$(mktemp -d /tmp/rdsql-bench.XXXXXX)
chmod 755 "$W"
cleanup() {
  [ -n "${PGPID:-}" ] && kill "$PGPID" 2>/dev/null || true
  [ -n "${MYPID:-}" ] && kill "$MYPID" 2>/dev/null || true
  sleep 1; rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- PostgreSQL ---
PGPORT=$(free_port)
mkdir -p "$W/pg" && chown postgres: "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -U postgres --auth=trust -E UTF8 --no-locale --no-sync -D "$W/pg/data" >/dev/null
printf "port=%s\nlisten_addresses='127.0.0.1'\nunix_socket_directories='%s'\nfsync=off\nshared_buffers=128MB\n" "$PGPORT" "$W/pg" >> "$W/pg/data/postgresql.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg/data" >"$W/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
export PGPASSWORD=unused
export PGSSLMODE=disable
PSQL=("$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres)
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "
  create table bench as select g as id, md5(g::text) as txt,
    timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' as ts,
    (g * 1.01)::numeric(12,2) as num, g % 2 = 0 as flag
  from generate_series(1, 1000000) g; analyze bench;"
PGURL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
Q1M="select * from bench order by id"
Q100K="select * from bench where id <= 100000 order by id"

# --- MariaDB ---
MYPORT=$(free_port)
mariadb-install-db --no-defaults --datadir="$W/my" --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$W/my" --socket="$W/my.sock" --port="$MYPORT" --bind-address=127.0.0.1 \
  --user=root --skip-log-bin --skip-name-resolve --skip-ssl --innodb-buffer-pool-size=256M --log-error="$W/my.log" &
MYPID=$!
for _ in $(seq 200); do mariadb --no-defaults --socket="$W/my.sock" -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
mariadb --no-defaults --socket="$W/my.sock" -u root -e "
  create database b; use b; create user bench@'%'; grant all on b.* to bench@'%';
  create table b.bench as select seq as id, md5(seq) as txt,
    timestamp '2026-01-01 00:00:00' + interval seq second as ts,
    cast(seq * 1.01 as decimal(12,2)) as num, seq % 2 = 0 as flag from seq_1_to_1000000;"
MYURL="mariadb://bench@127.0.0.1:$MYPORT/b?sslmode=disable"
MARIADB=(mariadb --no-defaults -h 127.0.0.1 -P "$MYPORT" -u bench --skip-ssl b)

# measure NAME CMD... : median wall seconds and peak RSS (MB) over $RUNS runs;
# each run's output goes to a file whose size is checked across tools.
measure() {
  local name=$1; shift
  local walls=() rss=() out="$W/out"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$W/time" "$@" >"$out" 2>"$W/err" || { cat "$W/err"; exit 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/time")")
    rss+=("$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$W/time")")
  done
  local wall mrss lines
  wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  mrss=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  lines=$(wc -l <"$out")
  printf '| %s | %s | %s | %s |\n' "$name" "$wall" "$mrss" "$lines"
}

echo "runs per line: $RUNS (median); $(nproc) cores; $(date -u +%F)"
echo
echo "| command | wall s | peak RSS MB | output lines |"
echo "|---|---|---|---|"
measure "rdsql query --format csv (PostgreSQL, 1M)" "$RDSQL" query "$PGURL" --format csv -c "$Q1M"
measure "psql --csv -c (1M)" "${PSQL[@]}" --csv -c "$Q1M"
measure "psql -c \"\\copy (…) to stdout csv\" (1M)" "${PSQL[@]}" -c "\\copy ($Q1M) to stdout csv header"
measure "rdsql query --format csv (PostgreSQL, 100k)" "$RDSQL" query "$PGURL" --format csv -c "$Q100K"
measure "psql --csv -c (100k)" "${PSQL[@]}" --csv -c "$Q100K"
measure "rdsql query --format tsv (MariaDB, 1M)" "$RDSQL" query "$MYURL" --format tsv -c "$Q1M"
measure "rdsql query --format csv (MariaDB, 1M)" "$RDSQL" query "$MYURL" --format csv -c "$Q1M"
measure "mariadb --batch -e (1M)" "${MARIADB[@]}" --batch -e "$Q1M"
measure "mariadb --batch --quick -e (1M)" "${MARIADB[@]}" --batch --quick -e "$Q1M"
measure "rdsql query --format tsv (MariaDB, 100k)" "$RDSQL" query "$MYURL" --format tsv -c "$Q100K"
measure "mariadb --batch -e (100k)" "${MARIADB[@]}" --batch -e "$Q100K"

# Same bytes as psql --csv for the 1M rows?
"$RDSQL" query "$PGURL" --format csv -c "$Q1M" >"$W/a.csv"
"${PSQL[@]}" --csv -c "$Q1M" >"$W/b.csv"
if cmp -s "$W/a.csv" "$W/b.csv"; then echo; echo "rdsql --format csv output is byte-identical to psql --csv (1M rows)."; else echo; echo "OUTPUT DIFFERS from psql --csv"; exit 1; fi
