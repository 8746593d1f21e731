#!/usr/bin/env bash
# RDS discovery benchmark: `rdsql aws databases --json` (instances, Aurora
# cluster endpoints and RDS Proxies of one region) vs the AWS CLI (v1, PyPI)
# making the same three calls (`aws rds describe-db-instances`,
# `describe-db-clusters`, `describe-db-proxies`), both against one moto
# server (PyPI moto[server]) holding 250 instances (3 pages), 20 clusters and
# 5 proxies. Wall time from hyperfine (mean), peak RSS from /usr/bin/time -v
# (median of 5). moto's own time is in both; compare the ratio.
#
# usage: bash bench/aws.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
command -v moto_server >/dev/null && command -v aws >/dev/null || {
  echo "needs moto_server, boto3 and aws on PATH: python3 -m pip install 'moto[server]' boto3 awscli" >&2; exit 1; }
cargo build --release -q -p rdsql
RDSQL=$PWD/target/release/rdsql
W=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 & moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port" && break; sleep 0.2; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=eu-west-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_EC2_METADATA_DISABLED=true
python3 - <<PY
import boto3
c = lambda n: boto3.client(n, region_name="eu-west-1", endpoint_url="$AWS_ENDPOINT_URL")
rds, ec2 = c("rds"), c("ec2")
for i in range(250):
    rds.create_db_instance(DBInstanceIdentifier=f"db-{i:03}", Engine="postgres", EngineVersion="16.4",
        DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="a", MasterUserPassword="password123",
        EnableIAMDatabaseAuthentication=(i % 2 == 0))
for i in range(20):
    rds.create_db_cluster(DBClusterIdentifier=f"aur-{i:02}", Engine="aurora-postgresql", EngineVersion="16.4",
        MasterUsername="a", MasterUserPassword="password123")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
sn = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{k}.0/24")["Subnet"]["SubnetId"] for k in (1, 2)]
for i in range(5):
    rds.create_db_proxy(DBProxyName=f"prx-{i}", EngineFamily="POSTGRESQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x", "IAMAuth": "REQUIRED"}],
        RoleArn="arn:aws:iam::123456789012:role/p", VpcSubnetIds=sn)
PY
cat > "$W/cli.sh" <<'SH'
aws rds describe-db-instances --output json >/dev/null && aws rds describe-db-clusters --output json >/dev/null && aws rds describe-db-proxies --output json >/dev/null
SH
n=$("$RDSQL" aws databases --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
m=$(( $(aws rds describe-db-instances --query 'length(DBInstances)') + 2 * $(aws rds describe-db-clusters --query 'length(DBClusters)') + $(aws rds describe-db-proxies --query 'length(DBProxies)') ))
[ "$n" = "$m" ] || { echo "rdsql lists $n endpoints, the CLI's calls $m" >&2; exit 1; }
hyperfine -N --warmup 2 --min-runs 10 --export-json "$W/h.json" \
  "$RDSQL aws databases --json" "bash $W/cli.sh" >/dev/null 2>&1
rss() {
  local v=()
  for _ in 1 2 3 4 5; do /usr/bin/time -v -o "$W/t" "$@" >/dev/null; v+=("$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$W/t")"); done
  printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
r_rss=$(rss "$RDSQL" aws databases --json)
a_rss=$(rss aws rds describe-db-instances --output json)
python3 - "$W/h.json" "$n" "$r_rss" "$a_rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
rm, am = r[0]["mean"] * 1000, r[1]["mean"] * 1000
print(f"endpoints listed: {sys.argv[2]} (250 instances, 20 clusters x writer+reader, 5 proxies)")
print(f"| command | mean ms | peak RSS MB |")
print(f"|---|---|---|")
print(f"| rdsql aws databases --json | {rm:.0f} | {sys.argv[3]} |")
print(f"| aws rds describe-db-instances + -clusters + -proxies | {am:.0f} | {sys.argv[4]} (one call) |")
print(f"ratio: rdsql takes {rm/am:.2f}x the AWS CLI's time ({am/rm:.1f}x faster)")
PY
