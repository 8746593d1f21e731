#!/usr/bin/env bash
# Output conformance: `rdsql query` against `psql -X` on a table holding one
# value of every built-in PostgreSQL type a user meets (plus NULLs, multi-line
# and tab-holding text, wide and control characters), byte for byte, in the
# default aligned format and with -A, -t, -x, --csv, --null; then JSON and
# NDJSON for every type on PostgreSQL, MariaDB and SQLite read by jq.
# Private servers on loopback; prints one line per check and exits 1 on any
# difference.
#
# usage: bash bench/psql-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${RDSQL_PG_BIN:-/usr/lib/postgresql/15/bin}
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq; }
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql
W=$(mktemp -d /tmp/rdsql-compare.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PGPORT=$(free_port)
mkdir -p "$W/pg" && chown postgres: "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -U postgres --auth=trust -E UTF8 --no-locale --no-sync -D "$W/pg/data" >/dev/null
printf "port=%s\nlisten_addresses='127.0.0.1'\nunix_socket_directories='%s'\nfsync=off\n" "$PGPORT" "$W/pg" >> "$W/pg/data/postgresql.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg/data" >"$W/pg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
export PGSSLMODE=disable PGPASSWORD=unused
PSQL=("$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres)
URL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
"${PSQL[@]}" -q -c "create table every_type as select 1::int2 as i2, 2::int4 as i4, 3::int8 as i8, 1234.5678::numeric as num,
  1.5::float4 as f4, 2.25::float8 as f8, 'NaN'::float8 as nan, 12.5::money as m, true as b, 'text'::text as t,
  'vc'::varchar(5) as vc, 'c'::char(3) as ch, 'ab'::bytea as by, date '2026-11-29' as d, time '12:34:56' as tm,
  timetz '12:34:56+02' as tz, timestamp '2026-11-29 12:34:56.789' as ts, timestamptz '2026-11-29 12:34:56+00' as tstz,
  interval '1 day 02:03:04' as iv, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, '{\"a\": [1, 2]}'::json as j,
  '{\"b\": null}'::jsonb as jb, '<x>1</x>'::xml as x, '192.168.0.1/24'::inet as ip, '10.0.0.0/8'::cidr as net,
  '08:00:2b:01:02:03'::macaddr as mac, point(1, 2) as pt, lseg(point(0,0), point(1,1)) as ls, box(point(0, 0), point(1, 1)) as bx,
  path '((0,0),(1,1))' as pa, polygon '((0,0),(1,1),(1,0))' as pg, circle(point(0, 0), 2) as ci, B'101'::bit(3) as bit,
  B'1'::varbit as vb, 'a fat cat'::tsvector as tsv, 'fat & cat'::tsquery as tsq, int4range(1, 5) as rng,
  array[1, null, 3] as arr, array['x y', 'z'] as tarr, array[[1,2],[3,4]] as nested, 'nm'::name as nm,
  '0/16B3748'::pg_lsn as lsn, 42::oid as o, null::text as nul, null::int4 as nuli, E'two\nlines' as ml,
  E'a\tb' as tab, '日本語' as wide, E'x\ry' as cr
  union all select 32767, -1, null, -0.5, -1.25, 'Infinity', '-Infinity', '-3', false, '', '', '', '\\x00ff', null, null,
  null, null, null, null, null, '[]', '{}', null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, 'empty', '{}', '{}', '{}', '', null, 0, 'x', 7, 'one', '', '', ''"
fails=0
check() { # name psql-args -- rdsql-args
  local name=$1; shift
  local pa=() ra=()
  while [ "$1" != "--" ]; do pa+=("$1"); shift; done; shift
  ra=("$@")
  local q="select * from every_type"
  if cmp -s <("${PSQL[@]}" "${pa[@]}" -c "$q") <("$RDSQL" query "$URL" "${ra[@]}" -c "$q"); then
    echo "identical: psql ${pa[*]} = rdsql query ${ra[*]}"
  else
    echo "DIFFERENT: psql ${pa[*]} vs rdsql query ${ra[*]}"
    diff <("${PSQL[@]}" "${pa[@]}" -c "$q") <("$RDSQL" query "$URL" "${ra[@]}" -c "$q") | head -20
    fails=$((fails + 1))
  fi
}
check aligned --
check unaligned -A -- -A
check tuples -t -- -t
check expanded -x -- -x
check csv --csv -- --csv
check null -P null=NULL -- --null NULL
check html -H -- --format html

# JSON for every type, read by jq, on all three engines.
json() { # label url sql
  local out
  out=$("$RDSQL" query "$2" --format json -c "$3")
  if echo "$out" | jq -e 'length > 0' >/dev/null; then echo "jq reads $1 json"; else echo "jq REJECTS $1 json"; fails=$((fails + 1)); fi
  out=$("$RDSQL" query "$2" --format ndjson -c "$3")
  if echo "$out" | jq -e . >/dev/null; then echo "jq reads $1 ndjson"; else echo "jq REJECTS $1 ndjson"; fails=$((fails + 1)); fi
}
json postgres "$URL" "select * from every_type"
echo "$("$RDSQL" query "$URL" --format json -c 'select i4, num, b, jb, nested from every_type')" | jq -c '.[0]'

MYPORT=$(free_port)
mariadb-install-db --no-defaults --datadir="$W/my" --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$W/my" --socket="$W/my.sock" --port="$MYPORT" --bind-address=127.0.0.1 --user=root \
  --skip-log-bin --skip-name-resolve --skip-ssl --log-error="$W/my.log" &
PIDS+=($!)
for _ in $(seq 200); do mariadb --no-defaults --socket="$W/my.sock" -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
mariadb --no-defaults --socket="$W/my.sock" -u root -e "create database b; create user c@'%'; grant all on b.* to c@'%';
  create table b.every_type (ti tinyint, si smallint, mi mediumint, i int, bi bigint, ub bigint unsigned, de decimal(12,3),
  fl float, db double, bt bit(3), y year, d date, t time, dt datetime(3), ts timestamp null, c char(3), vc varchar(10),
  tx text, bl blob, vb varbinary(4), e enum('a','b'), s set('x','y'), j json, g point);
  insert into b.every_type values (1, 2, 3, 4, 5, 18446744073709551615, 1234.567, 1.5, 2.25, b'101', 2026, '2026-11-29',
  '12:34:56', '2026-11-29 12:34:56.789', '2026-11-29 12:34:56', 'c', 'vc', 'two\nlines', x'00ff', x'41', 'a', 'x,y', '{\"a\": 1}', point(1, 2)),
  (null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);"
json mariadb "mariadb://c@127.0.0.1:$MYPORT/b?sslmode=disable" "select ti, si, mi, i, bi, ub, de, fl, db, bt, y, d, t, dt, ts, c, vc, tx, bl, vb, e, s, j, st_astext(g) as g from every_type"
json sqlite "sqlite::memory:" "select 1 as i, 2.5 as r, 'a' as t, x'00ff' as b, null as z, cast(1 as integer) as ci, 1e300 as big"

echo
if [ "$fails" -eq 0 ]; then echo "all identical / all read by jq"; else echo "$fails check(s) failed"; exit 1; fi
