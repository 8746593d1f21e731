#!/usr/bin/env bash
# Token benchmark: `rdsql token` vs `aws rds generate-db-auth-token` (awscli
# v1 from PyPI), same inputs, credentials from environment variables.
# Wall time from hyperfine (mean of many runs), peak RSS from
# /usr/bin/time -v (median of 5 runs).
#
# usage: bash bench/token.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
command -v aws >/dev/null || pip install -q awscli
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql

export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjE//////////+bench==$(printf 'Zm9v/YmFy+YmF6=%.0s' $(seq 40))"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
HOST=mydb.abc123xyz.eu-west-1.rds.amazonaws.com
ARGS=(--hostname "$HOST" --port 5432 --username app_user --region eu-west-1)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT

# Same shape of output from both (timestamps differ between runs).
a=$("$RDSQL" token "${ARGS[@]}"); b=$(aws rds generate-db-auth-token "${ARGS[@]}")
strip() { sed -E 's/X-Amz-Date=[0-9TZ]+//; s/X-Amz-Credential=[^&]+//; s/X-Amz-Signature=[0-9a-f]+//'; }
[ "$(echo "$a" | strip)" = "$(echo "$b" | strip)" ] || { echo "token shapes differ"; echo "$a"; echo "$b"; exit 1; }

rss() {
  local v=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -v -o "$W/t" "$@" >/dev/null
    v+=("$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$W/t")")
  done
  printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}

hyperfine -N --warmup 3 --min-runs 20 --export-json "$W/h.json" \
  "$RDSQL token ${ARGS[*]}" "aws rds generate-db-auth-token ${ARGS[*]}" >/dev/null 2>&1
read -r r_mean a_mean < <(python3 -c "import json; r=json.load(open('$W/h.json'))['results']; print(r[0]['mean'], r[1]['mean'])")
r_rss=$(rss "$RDSQL" token "${ARGS[@]}")
a_rss=$(rss aws rds generate-db-auth-token "${ARGS[@]}")

echo "$(date -u +%F), $(nproc) cores, aws $(aws --version 2>&1 | cut -d' ' -f1)"
echo
echo "| command | mean wall ms | peak RSS MB |"
echo "|---|---|---|"
printf '| rdsql token | %.2f | %s |\n' "$(python3 -c "print($r_mean*1000)")" "$r_rss"
printf '| aws rds generate-db-auth-token | %.1f | %s |\n' "$(python3 -c "print($a_mean*1000)")" "$a_rss"
printf '\nrdsql is %.0fx faster.\n' "$(python3 -c "print($a_mean/$r_mean)")"
